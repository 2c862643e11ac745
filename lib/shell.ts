import { quote } from "shell-quote";

/** Words made only of these characters need no quoting in any position (POSIX sh). */
const PLAIN_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;
/** Words the shell reads as syntax in command position. */
const RESERVED = new Set([
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "do",
  "done",
  "case",
  "esac",
  "while",
  "until",
  "for",
  "in",
  "!",
  "{",
  "}",
]);
/** After the first word `=` is plain too (in the first word it could read as an assignment). */
const PLAIN_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Joins argv into one POSIX shell word list. Plain words (letters, digits, `_@%+=:,./-`) are kept as
 * they are so evidence stays readable (`http://10.96.93.201:8080`); every other word is quoted by
 * shell-quote, so a config value with quotes, `$()`, backticks, `;` or newlines reaches the command
 * as one literal argument.
 */
export function shellJoin(argv: readonly string[]): string {
  return argv
    .map((word, i) => {
      // A reserved word in command position is syntax: quoted, it runs as a command name.
      if (i === 0 && RESERVED.has(word)) return `'${word}'`;
      return (i === 0 ? PLAIN_WORD : PLAIN_ARG).test(word) ? word : quote([word]);
    })
    .join(" ");
}

/** A script line that sets a shell variable to a literal value. */
export function shellAssign(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`not a shell variable name: ${JSON.stringify(name)}`);
  }
  return `${name}=${shellJoin(["x", value]).slice(2)}`;
}
