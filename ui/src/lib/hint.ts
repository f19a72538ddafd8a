// The app's words for a core `Hint` (what to do next, as facts): an action in this window.
// The CLI words the same facts as a command line with its flags (crates/tollgate-cli/src/
// hint.rs); no sentence here names a flag or leaves a placeholder to fill in.
import type { Hint } from './bindings/Hint';
import { shortDigest } from './format';

/** One sentence saying what to do in the window. */
export function hintText(hint: Hint): string {
  switch (hint.kind) {
    case 'record':
      return `If ${shortDigest(digestOf(hint.image))} is right in ${hint.env}, record it there (“This is right: record it”, signed by you).`;
    case 'record_who':
      return `Say who deployed ${shortDigest(digestOf(hint.image))} into ${hint.env}: record it there (“Record it”, signed by you).`;
    case 'close_incident':
      return `Close ${hint.id} (Close… in the Incidents card of the digest’s page) once it is resolved.`;
    case 'attest':
      return `Attest ${hint.check} for ${shortDigest(hint.digest)} once it passed (Attest… in the Evidence card of the digest’s page).`;
    case 'unreject':
      return `Someone with a role lifts the rejection (Lift… on the digest’s page${hint.env ? `, for ${hint.env} and later` : ''}).`;
    case 'sign_with_key':
      return `Create this machine’s signing key for ${hint.id} in Settings → Signing key, and have its public key listed in tollgate.toml.`;
    case 'key_init':
      return hint.id
        ? `Create this machine’s signing key for ${hint.id} in Settings → Signing key.`
        : 'Create this machine’s signing key in Settings → Signing key.';
    case 'login':
      return `Store credentials for ${hint.registry} in Settings → Registries and credentials, then try again.`;
    case 'sync':
      return 'Press Sync on the overview.';
    case 'verify':
      return 'Do not promote until the history is checked: tell your security contact.';
    case 'hand_over_key':
      return `The workspace file needs ${hint.id}’s public key line: they copy it from Settings → Signing key on their machine.`;
    case 'list_identity':
      return `Have ${hint.id} listed in tollgate.toml with its public key (Settings → Add an approver; the key line is in Settings → Signing key on that machine).`;
    case 'name_actor':
      return 'Create this machine’s signing key in Settings → Signing key, and have it listed in tollgate.toml.';
    case 'give_reason':
      return 'Say why, in one line, in the reason field.';
    case 'choose_role':
      return `Choose the role you approve in (${hint.roles.join(', ')}).`;
    case 'name_digest':
      return 'Choose the digest to compare with what runs there.';
    case 'open_workspace':
      return 'Open another workspace, or create one, in Settings → Workspace.';
  }
}

/** The digest of an image reference `REGISTRY/PATH@sha256:HEX`. */
export function digestOf(image: string): string {
  const at = image.lastIndexOf('@');
  return at < 0 ? image : image.slice(at + 1);
}
