import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const forkDir = new URL('../../../vendor/aws-local-stepfunctions/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, forkDir));

/** The `| file | sha256 |` rows of FORK.md: the upstream tarball's hashes. */
function recordedHashes(): [string, string][] {
  const rows = read('FORK.md')
    .toString('utf8')
    .split('\n')
    .map((line) => /^\| ([\w./]+) \| ([0-9a-f]{64}) \|$/.exec(line))
    .filter((m) => m !== null);
  return rows.map((m) => [m[1]!, m[2]!]);
}

describe('the vendored aws-local-stepfunctions', () => {
  it('is upstream 3.0.0 byte for byte: every file FORK.md lists has the hash recorded from the registry tarball', () => {
    // arrange
    const recorded = recordedHashes();
    // act
    const actual = recorded.map(([file]) => [file, createHash('sha256').update(read(file)).digest('hex')]);
    // assert
    expect(recorded.map(([file]) => file).sort()).toEqual(['LICENSE', 'build/main.d.ts', 'build/main.node.esm.js']);
    expect(actual).toEqual(recorded);
  });

  it('declares the same Node versions as makegood, so npm installs it without an engine warning on either', () => {
    // arrange
    const fork = JSON.parse(read('package.json').toString('utf8')) as { engines: { node: string } };
    const root = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
      dependencies: Record<string, string>;
    };
    // assert
    expect(fork.engines.node).toBe(root.engines.node);
    expect(root.dependencies['aws-local-stepfunctions']).toBe('file:vendor/aws-local-stepfunctions');
  });
});
