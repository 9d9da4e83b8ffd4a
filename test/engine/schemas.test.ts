import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publishedSchemas } from '../../src/engine/json-schemas.js';

describe('published JSON Schemas', () => {
  it('are up to date with the zod schemas (regenerate: npm run schemas)', () => {
    for (const [file, schema] of Object.entries(publishedSchemas())) {
      const committed: unknown = JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8'));
      expect(committed, `schemas/${file} is stale: run npm run schemas`).toEqual(schema);
    }
  });
  it('describe the report contract fields of ARCHITECTURE.md', () => {
    const report = publishedSchemas()['report.schema.json'] as { required: string[]; properties: Record<string, unknown> };
    for (const f of ['schema', 'playbook', 'host', 'startedAt', 'durationMs', 'status', 'findings', 'coverage', 'unavailable']) expect(report.required).toContain(f);
  });
});
