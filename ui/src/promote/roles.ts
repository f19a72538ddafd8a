// Whether this machine's approver can sign for a target, and in which roles: the approve
// button's state. Only reads what the core reported (SignerStatus, PromotionCheck); the core's
// `approve` checks all of it again and is the authority.
import type { PromotionCheck } from '../lib/bindings/PromotionCheck';
import type { SignerStatus } from '../lib/backend';

/** The roles the target's policy asks for (the core's `roles_needed`); `null` when it names none. */
export function policyRoles(check: PromotionCheck): string[] | null {
  const roles = check.evaluation.roles_needed;
  return roles.length > 0 ? roles : null;
}

/** The policy of the target needs no approval at all (the core's `policy` rule). */
export function needsNoApproval(check: PromotionCheck): boolean {
  return check.evaluation.rules.some((r) => r.rule === 'policy' && r.passed);
}

export type SigningChoice = {
  /** Roles the approver may sign in here, the policy's first. Empty when they cannot sign. */
  roles: string[];
  /** Why the approve button is disabled, with what to do; `null` when it is enabled. */
  problem: string | null;
  /** Disabled because the approver has already approved in every role they could. */
  done?: boolean;
};

/** Take out the roles the approver already has a live approval in for this move. */
export function withoutSigned(choice: SigningChoice, signed: string[]): SigningChoice {
  if (choice.problem || signed.length === 0) return choice;
  const roles = choice.roles.filter((r) => !signed.includes(r));
  if (roles.length > 0) return { roles, problem: null };
  return {
    roles: [],
    problem: `You have approved this digest as ${[...new Set(signed)].join(', ')}.`,
    done: true,
  };
}

export function signingChoice(signer: SignerStatus, to: string, needed: string[] | null): SigningChoice {
  if (signer.problem) return { roles: [], problem: signer.problem };
  if (!signer.approver || !signer.key) {
    return {
      roles: [],
      problem:
        'This machine has no signing key: create one in Settings, then have it listed in tollgate.toml.',
    };
  }
  const who = signer.approver;
  if (signer.roles.length === 0) {
    return {
      roles: [],
      problem: `${who} holds no role in tollgate.toml: ask whoever keeps it to give you one.`,
    };
  }
  if (needed && needed.length > 0) {
    const roles = signer.roles.filter((r) => needed.includes(r));
    if (roles.length === 0) {
      return {
        roles: [],
        problem: `${to} needs an approval from ${needed.join(' or ')}; ${who} holds ${signer.roles.join(', ')}. Ask someone with that role to approve.`,
      };
    }
    return { roles, problem: null };
  }
  return { roles: [...signer.roles], problem: null };
}
