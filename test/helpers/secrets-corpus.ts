import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The synthetic secrets of test/fixtures/secrets/corpus.json (README.md there). */
const entry = z.object({
  id: z.string(),
  class: z.string(),
  place: z.enum(['argv', 'comm', 'cgroup', 'mount', 'mount-source', 'netns', 'iface']),
  secret: z.string().min(6),
  argv: z.array(z.string()).optional(),
  name: z.string().optional(),
});
export type CorpusEntry = z.infer<typeof entry>;

export const CORPUS: readonly CorpusEntry[] = z.object({ entries: z.array(entry) }).parse(JSON.parse(readFileSync(new URL('../fixtures/secrets/corpus.json', import.meta.url), 'utf8'))).entries;
