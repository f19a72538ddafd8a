import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import type { TollgateError } from '../lib/backend';
import type { TeamShare } from '../lib/bindings/TeamShare';
import { teamShare } from '../lib/testing';
import SignedFormDialog from './SignedFormDialog.svelte';

type Receipt = { team: TeamShare | null; seq: number };

const title = createRawSnippet(() => ({ render: () => '<span>Sign a thing</span>' }));
const fields = createRawSnippet(() => ({
  render: () => '<label><span>Reason</span><input type="text" name="reason" /></label>',
}));

/** The dialog with `sign` and `ondone` spies, opened as its owner opens it (`show()`). */
function showDialog(sign: () => Promise<Receipt | null>, props: Record<string, unknown> = {}) {
  const ondone = vi.fn();
  const spy = vi.fn(sign);
  const view = render(SignedFormDialog<Receipt>, {
    props: {
      class: 'thing-dialog',
      titleId: 'thing-title',
      title,
      fields,
      problem: null,
      why: 'Signs with this machine’s key.',
      submitLabel: 'Sign it',
      sign: spy,
      ondone,
      ...props,
    },
  });
  view.component.show();
  return { ...view, sign: spy, ondone };
}

async function dialog(): Promise<HTMLElement> {
  return screen.findByRole('dialog', { name: 'Sign a thing' });
}

const submit = (d: HTMLElement) =>
  within(d).getByRole('button', { name: /Sign it|Signing…/ }) as HTMLButtonElement;

describe('SignedFormDialog', () => {
  it('says what is missing only once the person pressed the button, and signs nothing until then', async () => {
    const { sign, rerender } = showDialog(async () => ({ team: null, seq: 1 }), { problem: 'Say why.' });
    const d = await dialog();
    expect(d.classList.contains('thing-dialog')).toBe(true);
    expect(d.getAttribute('aria-labelledby')).toBe('thing-title');
    expect(within(d).queryByRole('alert')).toBeNull();
    expect(d.querySelector('.why')!.textContent!.trim()).toBe('Signs with this machine’s key.');
    await fireEvent.click(submit(d));
    expect(within(d).getByRole('alert').textContent!.trim()).toBe('Say why.');
    expect(d.querySelector('.why.blocked')).toBeTruthy();
    expect(sign).not.toHaveBeenCalled();
    // The next problem is said at once, now that the person has acted.
    await rerender({ problem: 'Type the digest.' });
    expect(within(d).getByRole('alert').textContent!.trim()).toBe('Type the digest.');
    await rerender({ problem: null });
    expect(within(d).queryByRole('alert')).toBeNull();
    expect(d.querySelector('.why')!.textContent!.trim()).toBe('Signs with this machine’s key.');
  });

  it('shows “Signing…” with the button disabled while the core signs, then closes and calls back', async () => {
    let answer!: (r: Receipt) => void;
    const { sign, ondone } = showDialog(() => new Promise((resolve) => (answer = resolve)));
    const d = await dialog();
    await fireEvent.click(submit(d));
    await waitFor(() => expect(submit(d).textContent).toBe('Signing…'));
    expect(submit(d).disabled).toBe(true);
    // A second press while signing signs nothing more.
    await fireEvent.submit(d.querySelector('form')!);
    expect(sign).toHaveBeenCalledTimes(1);
    const receipt = { team: teamShare(), seq: 7 };
    answer(receipt);
    await waitFor(() => expect(ondone).toHaveBeenCalledWith(receipt));
    expect(screen.queryByRole('dialog')).toBeNull();
    // What it published to the team's registry, once the dialog is closed.
    expect(screen.getByTestId('team-share').textContent).toContain(
      'Shared with the team: local/payments/api',
    );
  });

  it('shows the core’s refusal with its hint in place, keeps the form, and lets the person try again', async () => {
    const refusal: TollgateError = {
      code: 'refused',
      message: 'incident INC-7 is open on this digest in dev',
      hint: { kind: 'close_incident', app: 'api', id: 'INC-7' },
    };
    const { sign, ondone } = showDialog(() => Promise.reject(refusal));
    const d = await dialog();
    await fireEvent.click(submit(d));
    const notice = await within(d).findByRole('alert');
    expect(notice.getAttribute('data-code')).toBe('refused');
    expect(notice.textContent).toContain('incident INC-7 is open on this digest in dev');
    expect(notice.querySelector('[data-hint=close_incident]')!.textContent).toContain('Close INC-7');
    expect(screen.getByRole('dialog')).toBe(d);
    expect(ondone).not.toHaveBeenCalled();
    await waitFor(() => expect(submit(d).disabled).toBe(false));
    expect(submit(d).textContent).toBe('Sign it');
    await fireEvent.click(submit(d));
    await waitFor(() => expect(sign).toHaveBeenCalledTimes(2));
  });

  it('keeps the form as typed when the native confirmation is cancelled: no error, no call back', async () => {
    const { sign, ondone } = showDialog(async () => null);
    const d = await dialog();
    await fireEvent.input(d.querySelector('input[name=reason]')!, { target: { value: 'crashes' } });
    await fireEvent.click(submit(d));
    await waitFor(() => expect(sign).toHaveBeenCalled());
    await waitFor(() => expect(submit(d).disabled).toBe(false));
    expect(screen.getByRole('dialog')).toBe(d);
    expect(within(d).queryByRole('alert')).toBeNull();
    expect(ondone).not.toHaveBeenCalled();
    expect((d.querySelector('input[name=reason]') as HTMLInputElement).value).toBe('crashes');
    expect(screen.queryByTestId('team-share')).toBeNull();
  });

  it('closes on Escape, which goes no further (the window would go back), and on Cancel', async () => {
    const { component } = showDialog(async () => null);
    const outside = vi.fn();
    window.addEventListener('keydown', outside);
    try {
      await fireEvent.keyDown(await dialog(), { key: 'Escape' });
      expect(screen.queryByRole('dialog')).toBeNull();
      expect(outside).not.toHaveBeenCalled();
    } finally {
      window.removeEventListener('keydown', outside);
    }
    component.show();
    await fireEvent.click(within(await dialog()).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('opens afresh: nothing said to be missing and no old error', async () => {
    const { component } = showDialog(() => Promise.reject({ code: 'refused', message: 'no role' }), {
      problem: null,
    });
    let d = await dialog();
    await fireEvent.click(submit(d));
    expect((await within(d).findByRole('alert')).textContent).toContain('no role');
    await fireEvent.keyDown(d, { key: 'Escape' });
    component.show();
    d = await dialog();
    expect(within(d).queryByRole('alert')).toBeNull();
  });

  it('frames a statement that stops something in red and can make its button red', async () => {
    showDialog(async () => null, { danger: true, dangerSubmit: true, level: 3 });
    const d = await dialog();
    expect(d.classList.contains('danger-frame')).toBe(true);
    expect(d.querySelector('h3#thing-title')).toBeTruthy();
    expect(submit(d).classList.contains('danger')).toBe(true);
  });
});
