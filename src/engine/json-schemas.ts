import { z } from 'zod';
import { playbookSchema } from './playbook-schema.js';
import { reportSchema } from './report-schema.js';

/**
 * The JSON Schemas published in schemas/, generated from the zod schemas (never edited by
 * hand): playbooks as authors write them (input: defaults optional), reports as diag prints
 * them (output).
 */
export function publishedSchemas(): Record<string, unknown> {
  return {
    'playbook.schema.json': {
      $id: 'https://diag.dev/schemas/playbook.schema.json',
      title: 'diag playbook (diag.playbook/v1)',
      ...z.toJSONSchema(playbookSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
    },
    'report.schema.json': {
      $id: 'https://diag.dev/schemas/report.schema.json',
      title: 'diag report (diag.report/v1)',
      ...z.toJSONSchema(reportSchema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }),
    },
  };
}
