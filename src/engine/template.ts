/**
 * Finding titles are templates with placeholders, filled by plain substitution (no expressions):
 * {value} {unit} {scope} {key} {threshold} {severity} {metric} {label.NAME} {field.NAME}.
 * Host text (labels, keys) is inserted as is here and sanitised by the renderers.
 */
export interface TemplateVars {
  readonly value: number;
  readonly unit: string;
  readonly scope: string;
  readonly key: string;
  readonly threshold: number | undefined;
  readonly severity: string;
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number | null>>;
}

export function formatValue(v: number | undefined | null): string {
  if (v === undefined || v === null) return '?';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (Number.isInteger(v)) return String(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 0.01) return v.toFixed(2);
  return v.toPrecision(2);
}

export function renderTemplate(template: string, vars: TemplateVars): string {
  return template.replace(/\{([a-z_]+)(?:\.([A-Za-z0-9_]+))?\}/g, (whole, name: string, sub: string | undefined) => {
    switch (name) {
      case 'value':
        return formatValue(vars.value);
      case 'unit':
        return vars.unit;
      case 'scope':
        return vars.scope;
      case 'key':
        return vars.key;
      case 'threshold':
        return formatValue(vars.threshold);
      case 'severity':
        return vars.severity;
      case 'metric':
        return vars.metric;
      case 'label':
        return sub === undefined ? whole : (vars.labels[sub] ?? '?');
      case 'field':
        return sub === undefined ? whole : formatValue(vars.fields[sub]);
      default:
        return whole;
    }
  });
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A value with its unit as a person reads it: bytes in binary multiples, percent as %, rates per second. */
export function formatWithUnit(v: number | undefined | null, unit: string): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return formatValue(v);
  const perS = unit.endsWith('/s');
  const base = perS ? unit.slice(0, -2) : unit;
  const suffix = perS ? '/s' : '';
  if (base === 'bytes') {
    let x = Math.abs(v);
    let i = 0;
    while (x >= 1024 && i < BINARY.length - 1) {
      x /= 1024;
      i++;
    }
    return `${formatValue(Math.sign(v) * x)} ${BINARY[i]}${suffix}`;
  }
  if (base === 'percent' || base === '%') return `${formatValue(v)} %${suffix}`;
  if (base === '' || base === 'count') return `${formatValue(v)}${perS ? '/s' : ''}`;
  return `${formatValue(v)} ${base}${suffix}`;
}
