// Arithmetic expressions as the tasks write and read them: a small recursive-descent parser (no eval)
// for integers, + − × ÷ and parentheses — in plain text (*, /, -), typographic (×, ÷, −) or LaTeX
// (\times, \cdot, \div) form — optionally with the variable x and implicit products ("3x", "2(x + 1)")
// for equations. Values are exact rationals; a rule can require every division to come out whole.
//
//   expr    := term (('+' | '-') term)*
//   term    := unary (('×' | '÷') unary | [implicit] unary)*
//   unary   := ['-' unary, when allowed] | primary
//   primary := integer | 'x' | '(' expr ')'

import type { Rational } from './rational.js';
import { add, div, isInteger, mul, neg, rational, sub } from './rational.js';

export type BinaryOp = '+' | '-' | '*' | '/';

export type Expr =
  | { readonly kind: 'num'; readonly value: bigint }
  | { readonly kind: 'var' }
  | { readonly kind: 'neg'; readonly arg: Expr }
  | { readonly kind: 'bin'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr };

export interface ParseOptions {
  /** Accept the variable x and implicit products such as "3x" and "2(x + 1)". Default false. */
  readonly variable?: boolean;
  /** Accept a leading minus ("-3", "-(2 + 1)"). Default false: Countdown numbers are given, not negated. */
  readonly unaryMinus?: boolean;
}

/** Why a text is not an expression, or why it has no value under the rules; the message says which. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

// Generous for any answer a model writes; bounds the work and the recursion a hostile text can cause.
const MAX_LENGTH = 400;
const MAX_DEPTH = 40;

type Token = { readonly type: 'num'; readonly value: bigint } | { readonly type: 'op'; readonly op: BinaryOp } | { readonly type: '(' | ')' | 'x' };

const SYMBOLS: Readonly<Record<string, Token>> = {
  '+': { type: 'op', op: '+' }, '-': { type: 'op', op: '-' }, '−': { type: 'op', op: '-' }, '–': { type: 'op', op: '-' },
  '*': { type: 'op', op: '*' }, '×': { type: 'op', op: '*' }, '·': { type: 'op', op: '*' }, '⋅': { type: 'op', op: '*' },
  '/': { type: 'op', op: '/' }, '÷': { type: 'op', op: '/' }, '(': { type: '(' }, ')': { type: ')' },
};
const COMMANDS: Readonly<Record<string, Token | null>> = {
  times: { type: 'op', op: '*' }, cdot: { type: 'op', op: '*' }, div: { type: 'op', op: '/' },
  left: null, right: null, // \left( and \right) are plain parentheses
};

function tokenize(text: string, variable: boolean): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s|\$/.test(c)) {
      i++;
    } else if (/\d/.test(c)) {
      const digits = /^\d+/.exec(text.slice(i))![0];
      i += digits.length;
      if (text[i] === '.' && /\d/.test(text[i + 1] ?? '')) throw new ExpressionError(`decimal numbers are not allowed (at "${digits}.")`);
      tokens.push({ type: 'num', value: BigInt(digits) });
    } else if (c === '\\') {
      const name = /^[a-zA-Z]+/.exec(text.slice(i + 1))?.[0] ?? '';
      const token = COMMANDS[name];
      if (token === undefined) throw new ExpressionError(`unknown command \\${name || text[i + 1] || ''}: use + - × ÷ and parentheses`);
      if (token !== null) tokens.push(token);
      i += 1 + name.length;
    } else if (variable && c === 'x') {
      tokens.push({ type: 'x' });
      i++;
    } else if (SYMBOLS[c] !== undefined) {
      tokens.push(SYMBOLS[c]!);
      i++;
    } else {
      throw new ExpressionError(`unexpected character ${JSON.stringify(c)}: use integers, + - × ÷ and parentheses`);
    }
  }
  return tokens;
}

/** Parses an expression; throws ExpressionError (never anything else) when the text is not one. */
export function parseExpression(text: string, options: ParseOptions = {}): Expr {
  if (typeof text !== 'string') throw new ExpressionError('the expression is not text');
  if (text.length > MAX_LENGTH) throw new ExpressionError(`the expression is longer than ${MAX_LENGTH} characters`);
  const variable = options.variable ?? false, unaryMinus = options.unaryMinus ?? false;
  const tokens = tokenize(text, variable);
  if (tokens.length === 0) throw new ExpressionError('the expression is empty');
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isOp = (t: Token | undefined, ...ops: BinaryOp[]): t is { type: 'op'; op: BinaryOp } => t?.type === 'op' && ops.includes(t.op);

  const expr = (depth: number): Expr => {
    if (depth > MAX_DEPTH) throw new ExpressionError(`the expression nests deeper than ${MAX_DEPTH} levels`);
    let left = term(depth);
    for (let t = peek(); isOp(t, '+', '-'); t = peek()) {
      at++;
      left = { kind: 'bin', op: t.op, left, right: term(depth) };
    }
    return left;
  };
  const term = (depth: number): Expr => {
    let left = unary(depth);
    for (let t = peek(); ; t = peek()) {
      if (isOp(t, '*', '/')) {
        at++;
        left = { kind: 'bin', op: t.op, left, right: unary(depth) };
      } else if (variable && (t?.type === '(' || t?.type === 'x')) {
        left = { kind: 'bin', op: '*', left, right: unary(depth) };
      } else return left;
    }
  };
  const unary = (depth: number): Expr => {
    if (isOp(peek(), '-')) {
      if (!unaryMinus) throw new ExpressionError('a minus sign must stand between two operands here');
      at++;
      return { kind: 'neg', arg: unary(depth + 1) };
    }
    return primary(depth);
  };
  const primary = (depth: number): Expr => {
    const t = tokens[at++];
    if (t === undefined) throw new ExpressionError('the expression ends where a number was expected');
    if (t.type === 'num') return { kind: 'num', value: t.value };
    if (t.type === 'x') return { kind: 'var' };
    if (t.type === '(') {
      const inner = expr(depth + 1);
      if (tokens[at++]?.type !== ')') throw new ExpressionError('a parenthesis is not closed');
      return inner;
    }
    throw new ExpressionError(t.type === ')' ? 'a closing parenthesis has no opening one, or encloses nothing' : `an operator stands where a number was expected`);
  };

  const result = expr(0);
  if (at < tokens.length) throw new ExpressionError(tokens[at]!.type === ')' ? 'a closing parenthesis has no opening one' : 'two operands follow each other without an operator');
  return result;
}

export interface EvaluateOptions {
  /** The value of x, for expressions with the variable. */
  readonly x?: Rational;
  /** Every division must have a whole result (the Countdown rule). Default false. */
  readonly wholeDivisions?: boolean;
}

/** The exact value; throws ExpressionError on division by zero, a broken rule or an unknown x. */
export function evaluateExpression(e: Expr, options: EvaluateOptions = {}): Rational {
  switch (e.kind) {
    case 'num': return rational(e.value);
    case 'var':
      if (options.x === undefined) throw new ExpressionError('the expression uses x but no value was given for it');
      return options.x;
    case 'neg': return neg(evaluateExpression(e.arg, options));
    case 'bin': {
      const a = evaluateExpression(e.left, options), b = evaluateExpression(e.right, options);
      if (e.op === '+') return add(a, b);
      if (e.op === '-') return sub(a, b);
      if (e.op === '*') return mul(a, b);
      if (b.num === 0n) throw new ExpressionError('division by zero');
      const q = div(a, b);
      if (options.wholeDivisions === true && !isInteger(q)) throw new ExpressionError(`a division does not come out whole (${formatValue(a)} ÷ ${formatValue(b)})`);
      return q;
    }
  }
}

function formatValue(r: Rational): string {
  return r.den === 1n ? `${r.num}` : `${r.num}/${r.den}`;
}

/** The integer literals in the order they appear. */
export function literals(e: Expr): bigint[] {
  switch (e.kind) {
    case 'num': return [e.value];
    case 'var': return [];
    case 'neg': return literals(e.arg);
    case 'bin': return [...literals(e.left), ...literals(e.right)];
  }
}

export const OP_SYMBOL: Readonly<Record<BinaryOp, string>> = { '+': '+', '-': '-', '*': '×', '/': '÷' };
const PRECEDENCE: Readonly<Record<BinaryOp, number>> = { '+': 1, '-': 1, '*': 2, '/': 2 };

/**
 * The expression as the tasks print it ("(25 - 3) × 4"): parentheses only where the tree needs them,
 * so reading the text back gives the same value; a right operand of equal precedence keeps its
 * parentheses unless both operators are + or both ×, so every step of the tree stays visible.
 */
export function formatExpression(e: Expr): string {
  switch (e.kind) {
    case 'num': return `${e.value}`;
    case 'var': return 'x';
    case 'neg': return `-${e.arg.kind === 'bin' ? `(${formatExpression(e.arg)})` : formatExpression(e.arg)}`;
    case 'bin': {
      const p = PRECEDENCE[e.op];
      const side = (child: Expr, right: boolean): string => {
        const text = formatExpression(child);
        if (child.kind !== 'bin') return text;
        const q = PRECEDENCE[child.op];
        const needs = q < p || (right && q === p && !(child.op === e.op && (e.op === '+' || e.op === '*')));
        return needs ? `(${text})` : text;
      };
      return `${side(e.left, false)} ${OP_SYMBOL[e.op]} ${side(e.right, true)}`;
    }
  }
}
