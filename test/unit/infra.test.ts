import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../helpers/cli.js';

const infra = path.join(ROOT, 'infra');

test('infra/docker-compose.yml parses and every path it names exists', () => {
  const compose = parseYaml(readFileSync(path.join(infra, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; volumes?: string[] }>;
  };
  // The versions scripts/temporal-cluster.sh builds and test/integration/postgres-cluster.test.ts runs.
  const version = /^VERSION=(\S+)$/m.exec(readFileSync(path.join(ROOT, 'scripts/temporal-cluster.sh'), 'utf8'))![1]!;
  assert.equal(compose.services.temporal?.image, `temporalio/server:${version}`);
  for (const tool of ['temporal-schema', 'temporal-namespace']) assert.ok(compose.services[tool]?.image?.startsWith(`temporalio/admin-tools:${version}-`), tool);
  assert.equal(compose.services.postgresql?.image, 'postgres:15');
  assert.ok(compose.services['temporal-ui']);
  for (const [name, svc] of Object.entries(compose.services)) {
    if (svc.build) {
      const context = path.resolve(infra, svc.build.context);
      assert.ok(existsSync(path.join(context, svc.build.dockerfile)), `${name}: ${svc.build.dockerfile}`);
    }
    for (const v of svc.volumes ?? []) {
      const host = v.split(':')[0]!;
      if (host.startsWith('.')) assert.ok(existsSync(path.resolve(infra, host)), `${name}: volume ${host}`);
    }
  }
  parseYaml(readFileSync(path.join(infra, 'temporal/dynamicconfig/development-sql.yaml'), 'utf8'));
});

test('every worker Dockerfile copies files that exist and runs the dnnbench CLI', () => {
  const files = readdirSync(path.join(infra, 'docker')).filter((f) => f.endsWith('.Dockerfile'));
  assert.deepEqual(files.sort(), ['worker-cpu.Dockerfile', 'worker-gpu.Dockerfile', 'worker-jetson.Dockerfile']);
  for (const f of files) {
    const text = readFileSync(path.join(infra, 'docker', f), 'utf8');
    assert.match(text, /^FROM \S+/m, f);
    for (const m of text.matchAll(/^COPY (.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) assert.ok(existsSync(path.join(ROOT, src)), `${f}: COPY ${src}`);
    }
    assert.match(text, /ENTRYPOINT \["node", "bin\/dnnbench\.js"\]/, f);
  }
});

test('the systemd unit starts a worker on its instance queue', () => {
  const unit = readFileSync(path.join(infra, 'dnnbench-worker@.service'), 'utf8');
  assert.match(unit, /^ExecStart=.*dnnbench worker --queue %i$/m);
});
