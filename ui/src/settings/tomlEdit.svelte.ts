// One edit of tollgate.toml from a Settings form (add a registry, an app, an approver): busy
// while the core asks for the native confirmation (it shows the diff) and writes, then what was
// written, that nothing was (the confirmation was cancelled), or the core's error; EditResult
// shows `done` or `error`.
import type { TollgateError } from '../lib/backend';

export class TomlEdit {
  busy = $state(false);
  error = $state<TollgateError | null>(null);
  /** The line once the edit ran: what was written, or that nothing was. */
  done = $state<string | null>(null);

  /** Run `edit` (null from it: the confirmation was cancelled). `written` clears the form, tells
   * the owner, and words what was written. Nothing happens while an edit is running. */
  async run<T>(edit: () => Promise<T | null>, written: (result: T) => string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    this.done = null;
    try {
      const result = await edit();
      if (!result) {
        this.done = 'Not written: the confirmation was cancelled.';
        return;
      }
      this.done = written(result);
    } catch (err) {
      this.error = err as TollgateError;
    } finally {
      this.busy = false;
    }
  }
}
