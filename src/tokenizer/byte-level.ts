// The two fixed pieces of a byte-level BPE (GPT-2, Qwen, DeepSeek): the byte → character map that
// lets every byte be a printable vocabulary entry, and the pre-tokenizer regex that cuts text into
// words before merging. Merges never cross a word boundary.

/**
 * GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68 (controls, space,
 * 0x7F–0xA0, 0xAD) to U+0100 onwards, so the space byte 0x20 is `Ġ` (U+0120) and "\n" is `Ċ`.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : next++));
  return Object.freeze(out);
})();

/** The vocabulary string of some bytes: `bytesToToken(utf8(" hi")) === "Ġhi"`. */
export function bytesToToken(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/**
 * Qwen2's pre-tokenizer (GPT-4's cl100k pattern with digits split one by one), with the
 * case-insensitive contraction group spelled out so that JavaScript and Oniguruma read it alike:
 * contractions | letters with one leading non-letter | one digit | punctuation run (with a space in
 * front, newlines after) | newline runs | spaces not followed by a word | other whitespace.
 */
export const PRETOKENIZE_PATTERN = String.raw`'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/** The words of `text`, in order; joined they give `text` back. */
export function pretokenize(text: string): string[] {
  return text.match(new RegExp(PRETOKENIZE_PATTERN, 'gu')) ?? [];
}
