/**
 * Fields are declared once, here and in each collector's table specs: name, unit, counter or
 * gauge, title. Rates, the model, `diag collect`, report evidence and bundle schemas all read
 * these declarations instead of listing the fields again.
 */
export type Unit =
  | 'count'
  | 'bytes'
  | 'kB'
  | 'pages'
  | 'sectors'
  | 'ms'
  | 'us'
  | 's'
  | 'ticks'
  | 'percent'
  | 'ratio'
  | 'Mb/s'
  | 'boolean';

export interface FieldSpec {
  readonly title: string;
  readonly unit: Unit;
  /** counter: monotonically increasing, read as a per-second rate in a Model. gauge: a level. */
  readonly kind: 'counter' | 'gauge';
  readonly desc?: string;
  /** Width of a counter the kernel keeps in fewer than 64 bits: wraps are recognised. */
  readonly bits?: 32 | 64;
}

/** A value computed from a window (busy %, await, %util): unit is already final. */
export interface DerivedSpec {
  readonly title: string;
  readonly unit: Unit | `${Unit}/s`;
  readonly desc?: string;
}

/** The unit a field has once it is in a Model (counters become rates). */
export function modelUnit(spec: FieldSpec): string {
  return spec.kind === 'counter' ? `${spec.unit}/s` : spec.unit;
}

/** Shorthand constructors keep declarations one line each. */
export const counter = (title: string, unit: Unit = 'count', extra: Partial<FieldSpec> = {}): FieldSpec => ({ title, unit, kind: 'counter', ...extra });
export const gauge = (title: string, unit: Unit = 'count', extra: Partial<FieldSpec> = {}): FieldSpec => ({ title, unit, kind: 'gauge', ...extra });
export const derived = (title: string, unit: DerivedSpec['unit'], desc?: string): DerivedSpec => (desc === undefined ? { title, unit } : { title, unit, desc });
