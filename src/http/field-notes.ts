/** A message shown under one form field: a problem, or the answer of a lookup ("can be used"). */
export interface FieldNote {
  kind: 'error' | 'ok';
  text: string;
}

export type FieldNotes = Partial<Record<string, FieldNote>>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => ESCAPES[c]!);

/**
 * The markup a form template repeats for every field, so screen readers hear each message with its
 * field: `field--error` on the wrapper, `aria-describedby` (help text and message) with
 * `aria-invalid` on the control, and the message itself (an alert for a problem, a status otherwise).
 * The field's id is its name; its help text, if any, has the id `<name>-hint`.
 */
export function fieldMarkup(notes: FieldNotes) {
  const isError = (name: string) => notes[name]?.kind === 'error';
  /** `aria-describedby` for a control, or for a group of radio buttons (begins with a space when not empty). */
  const describedBy = (name: string, hint = false) => {
    const ids = [hint ? `${name}-hint` : '', notes[name] ? `${name}-note` : ''].filter(Boolean).join(' ');
    return ids ? ` aria-describedby="${ids}"` : '';
  };
  return {
    isError,
    describedBy,
    /** The wrapper's classes: `field`, any `extra`, and `field--error` for a problem. */
    fieldClass: (name: string, extra = '') => `field${extra ? ` ${extra}` : ''}${isError(name) ? ' field--error' : ''}`,
    /** `aria-describedby` and `aria-invalid` for the control. */
    attrs: (name: string, hint = false) => describedBy(name, hint) + (isError(name) ? ' aria-invalid="true"' : ''),
    note(name: string): string {
      const note = notes[name];
      if (!note) return '';
      const error = note.kind === 'error';
      return `<p class="field__${error ? 'error' : 'ok'}" id="${name}-note" role="${error ? 'alert' : 'status'}">${escapeHtml(note.text)}</p>`;
    },
  };
}
