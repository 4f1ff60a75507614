// How a bad value appears in an error message: JSON (so "8" the string and 8 the number differ), cut
// short so a huge value does not flood the message.

export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}
