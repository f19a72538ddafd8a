// Whether this machine can sign an event that any listed identity may sign (a record, an
// incident, an attestation): an approver, or a `[[signers]]` identity with its listed key.
// (Approvals are stricter: `SignerStatus.problem` says why this machine cannot approve.)
import type { SignerStatus } from './bindings/SignerStatus';

/** Why this machine cannot sign such an event, as a sentence; `null` when it can. */
export function cannotSign(s: SignerStatus): string | null {
  if (s.ci_signer && s.listed) return null;
  return s.problem;
}
