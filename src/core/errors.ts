/** Error classes with a name, a cause and a message that says what was expected and what was got. */

export class DiagError extends Error {
  override readonly name: string = 'DiagError';
  readonly hint: string | undefined;
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options?.hint;
  }
}

/** Bad command line: the CLI prints the message and exits 64 (EX_USAGE). */
export class UsageError extends DiagError {
  override readonly name = 'UsageError';
}

/** Input text did not have the expected shape. Parsers return it; they never throw. */
export class ParseError extends DiagError {
  override readonly name = 'ParseError';
  readonly input: string;
  readonly line: number | undefined;
  constructor(input: string, message: string, line?: number) {
    super(line === undefined ? `${input}: ${message}` : `${input} line ${line}: ${message}`);
    this.input = input;
    this.line = line;
  }
}
