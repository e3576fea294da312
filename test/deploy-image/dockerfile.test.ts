// The production image, checked without building it (no Docker engine here, and no hadolint):
// the Dockerfile is read into stages and instructions by a small parser below (line
// continuations, comments, exec-form JSON), and the tests assert what the image must hold: the
// built CLI as ENTRYPOINT, production dependencies only, the Pulumi CLI at the SDK's version
// with the providers' plugins, a non-root user, the state volume, and every file the Pulumi
// program needs at run time. Each RUN script is parsed by /bin/sh. The program the image runs
// (the compiled dist/stacks/index.js) is then run itself, under Pulumi's mocks, in a plain node
// process with the example stack's config.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_BACKEND_URL, STATE_DIR } from '../../stacks/runner/args.js';
import { RUNNER_UID } from '../../stacks/runner/pod.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/**
 * Dockerfile text → stages of instructions. Enough of the format for this file: `#` comment
 * lines (also inside a continued instruction), `\` continuations, global ARGs substituted into
 * FROM, `FROM image AS name`.
 */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let current: Instruction | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (current === undefined && line.trim() === '')) continue;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    if (current) current.args += ` ${body.trim()}`;
    else {
      const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(body);
      if (!m) throw new Error(`Dockerfile:${i + 1}: not an instruction: ${line}`);
      current = { keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: i + 1 };
    }
    if (!continued) {
      instructions.push(current);
      current = undefined;
    }
  }
  if (current) throw new Error('Dockerfile: ends inside a continued instruction');
  const globals: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile:${ins.line}: FROM ${ins.args}`);
      const from = m[1]!.replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_, a?: string, b?: string) => globals[(a ?? b)!] ?? '',
      );
      stages.push({ name: m[2] ?? String(stages.length), from, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`Dockerfile:${ins.line}: ${ins.keyword} before FROM`);
      const [k, v = ''] = ins.args.split('=');
      globals[k!] = v;
    } else stages.at(-1)!.instructions.push(ins);
  }
  return stages;
}

const stages = parseDockerfile(read('Dockerfile'));
const stage = (name: string): Stage => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const of = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);
const runs = (s: Stage) => of(s, 'RUN').map((i) => i.args);
const runtime = stages.at(-1)!;
/** `ENV a=1 b=2` instructions of a stage, as one map. */
const envOf = (s: Stage): Record<string, string> =>
  Object.fromEntries(
    of(s, 'ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!] as const)),
  );

interface Copy {
  from?: string;
  chown?: string;
  sources: string[];
  dest: string;
}
function copies(s: Stage): Copy[] {
  return of(s, 'COPY').map((i) => {
    const words = i.args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const flag = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1];
    return {
      ...(flag('from') ? { from: flag('from')! } : {}),
      ...(flag('chown') ? { chown: flag('chown')! } : {}),
      sources: paths.slice(0, -1),
      dest: paths.at(-1)!,
    };
  });
}
/** Where a COPY puts `source` in the image (destinations relative to WORKDIR /app). */
function imagePath(c: Copy, source: string): string {
  const dest = c.dest.startsWith('/') ? c.dest : join('/app', c.dest);
  return c.dest.endsWith('/') ? join(dest, source.split('/').at(-1)!) : dest;
}

const packageJson = JSON.parse(read('package.json')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string }> };

describe('Dockerfile', () => {
  it('builds on node:20-bookworm-slim with every dependency, and runs with production dependencies only', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'pulumi', 'runtime']);
    for (const s of stages) expect(s.from, s.name).toBe('node:20-bookworm-slim');
    const build = runs(stage('build'));
    expect(build.filter((r) => /\bnpm ci\b/.test(r))).toEqual([expect.not.stringContaining('--omit')]);
    expect(build).toContain('npm run build');
    const installs = runs(runtime).filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci --omit=dev\b/);
    expect(runs(runtime).join('\n')).not.toMatch(/npm run build|tsc\b/);
  });

  it('runs the built CLI under tini as its ENTRYPOINT, with `run` as the default command', () => {
    const entrypoint = JSON.parse(of(runtime, 'ENTRYPOINT').at(-1)!.args) as string[];
    expect(entrypoint).toEqual(['/usr/bin/tini', '--', 'node', 'dist/src/cli/main.js']);
    expect(entrypoint.slice(-1)[0]).toBe(packageJson.bin.shadowcast);
    expect(JSON.parse(of(runtime, 'CMD').at(-1)!.args)).toEqual(['run']);
    expect(of(runtime, 'WORKDIR').at(-1)!.args).toBe('/app');
    expect(runs(runtime).join('\n')).toMatch(/apt-get install [^\n]*\btini\b/);
  });

  it('holds what the CLI and the pool stacks’ program need at run time', () => {
    const c = copies(runtime);
    const placed = (source: string, from?: string) =>
      c.filter((x) => x.from === from && x.sources.includes(source)).map((x) => imagePath(x, source));
    expect(placed('/src/dist', 'build')).toEqual(['/app/dist']);
    expect(placed('package.json')).toEqual(['/app/package.json']);
    expect(placed('package-lock.json')).toEqual(['/app/package-lock.json']);
    expect(placed('docker/Pulumi.yaml')).toEqual(['/app/Pulumi.yaml']);
    expect(placed('forecasts')).toEqual(['/app/forecasts']);
    expect(placed('policies/defaults.yaml')).toEqual(['/app/policies/defaults.yaml']);
    expect(placed('policies/pools')).toEqual(['/app/policies/pools']);
    // The build stage compiles both the CLI and the program.
    const buildSources = copies(stage('build')).flatMap((x) => x.sources);
    for (const dir of ['src', 'stacks', 'tsconfig.json']) expect(buildSources).toContain(dir);
  });

  it('the image’s Pulumi.yaml is the same project running the compiled program, without TypeScript', () => {
    type Project = {
      name: string;
      main: string;
      runtime: { name: string; options?: { typescript?: boolean } };
    };
    const source = parse(read('Pulumi.yaml')) as Project;
    const image = parse(read('docker/Pulumi.yaml')) as Project;
    expect(image.name).toBe(source.name);
    expect(image.runtime.name).toBe('nodejs');
    expect(image.runtime.options?.typescript).toBe(false);
    // tsc (outDir dist, rootDir .) puts stacks/index.ts at dist/stacks/index.js.
    const tsconfig = JSON.parse(read('tsconfig.json')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(tsconfig.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
    expect(image.main).toBe(join('dist', source.main.replace(/\.ts$/, '.js')));
  });

  it('runs as a numeric non-root user, the one the runner stack’s pods run as', () => {
    const users = of(runtime, 'USER');
    const [uid, gid] = users.at(-1)!.args.split(':');
    expect(Number(uid)).toBe(RUNNER_UID);
    expect(Number(gid)).toBe(RUNNER_UID);
    // Nothing runs as root after the switch.
    const last = runtime.instructions.indexOf(users.at(-1)!);
    expect(runtime.instructions.slice(last).filter((i) => i.keyword === 'RUN')).toEqual([]);
    expect(runs(runtime).join('\n')).toContain(`useradd --system --uid ${RUNNER_UID}`);
  });

  it('keeps state in a volume the user owns, where the CLI’s default --state and backend land', () => {
    expect(JSON.parse(of(runtime, 'VOLUME').at(-1)!.args)).toEqual([STATE_DIR]);
    const setup = runs(runtime).find((r) => r.includes(`mkdir -p ${STATE_DIR}`))!;
    expect(setup).toContain(`chown ${RUNNER_UID}:${RUNNER_UID} ${STATE_DIR}`);
    // `--state .shadowcast` (the default) from WORKDIR /app is the volume; so is the default file
    // backend (.shadowcast/pulumi), which the runner stack names explicitly.
    expect(setup).toContain(`ln -s ${STATE_DIR} /app/.shadowcast`);
    expect(DEFAULT_BACKEND_URL).toBe(`file://${STATE_DIR}/pulumi`);
  });

  it('installs the Pulumi CLI at the SDK’s version, checksum-verified, with every provider’s plugin', () => {
    const pulumi = stage('pulumi');
    const version = of(pulumi, 'ARG')
      .find((a) => a.args.startsWith('PULUMI_VERSION='))!
      .args.split('=')[1];
    expect(version).toBe(lock.packages['node_modules/@pulumi/pulumi']!.version);
    const script = runs(pulumi).join('\n');
    expect(script).toContain('https://get.pulumi.com/releases/sdk/${tarball}');
    expect(script).toContain('sha256sum -c');
    // Every Pulumi provider package among the dependencies has its plugin installed.
    const providers = Object.keys(packageJson.dependencies)
      .filter((d) => d.startsWith('@pulumi/'))
      .filter((d) => {
        const meta = JSON.parse(read(`node_modules/${d}/package.json`)) as {
          pulumi?: { resource?: boolean };
        };
        return meta.pulumi?.resource === true;
      })
      .map((d) => d.slice('@pulumi/'.length));
    const loop = /for provider in ([\w ]+);/.exec(script);
    expect(loop![1]!.trim().split(/\s+/).sort()).toEqual(providers.sort());
    expect(script).toContain('plugin install resource "${provider}" "${version}" --exact');

    const env = envOf(runtime);
    expect(env.PATH).toMatch(/^\/opt\/pulumi:/);
    expect(env.PULUMI_HOME).toBe('/home/shadowcast/.pulumi');
    expect(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION).toBe('true');
    const home = copies(runtime).find((c) => c.from === 'pulumi' && c.dest === env.PULUMI_HOME);
    expect(home).toMatchObject({
      sources: [envOf(pulumi).PULUMI_HOME],
      chown: `${RUNNER_UID}:${RUNNER_UID}`,
    });
  });

  it('every RUN is a script /bin/sh can parse', () => {
    for (const s of stages) {
      for (const ins of of(s, 'RUN')) {
        const r = spawnSync('sh', ['-n', '-c', ins.args], { encoding: 'utf8' });
        expect(r.status, `Dockerfile:${ins.line}: ${r.stderr}`).toBe(0);
      }
    }
  });
});

/** `.dockerignore` patterns (Docker's rules: last match wins, a pattern matching a parent matches its files). */
function ignored(patterns: string[], path: string): boolean {
  // `**` any number of path segments, `*` and `?` within one.
  const toRegex = (p: string) =>
    new RegExp(
      `^${p
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*')}$`,
    );
  const parents = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const re = toRegex((negated ? raw.slice(1) : raw).replace(/^\/|\/$/g, ''));
    if (parents.some((p) => re.test(p))) excluded = !negated;
  }
  return excluded;
}

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('lets in every file the Dockerfile copies from the build context', () => {
    const sources = stages.flatMap((s) =>
      copies(s)
        .filter((c) => !c.from)
        .flatMap((c) => c.sources),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of new Set(sources)) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(ignored(patterns, source), source).toBe(false);
      expect(ignored(patterns, `${source}/x.ts`), `${source}/...`).toBe(false);
    }
  });

  it.each([
    'node_modules/@pulumi/pulumi/package.json',
    'dist/src/cli/main.js',
    '.git/config',
    '.shadowcast/journal/storefront.jsonl',
    'Pulumi.prod.yaml',
    'test/stacks/runner.test.ts',
    '.env',
  ])('keeps out %s', (path) => {
    expect(ignored(patterns, path)).toBe(true);
  });
});

describe('the program the image runs', () => {
  /** Packages the modules reachable from `entry` import at run time (type-only imports are erased). */
  function runtimePackages(entry: string): { packages: Set<string>; files: Set<string> } {
    const packages = new Set<string>();
    const files = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^;]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
        ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((m) => m[1]!);
      for (const spec of specifiers) {
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
          packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    };
    visit(join(ROOT, entry));
    return { packages, files };
  }

  it('reaches only production dependencies', () => {
    const main = (parse(read('Pulumi.yaml')) as { main: string }).main;
    const { packages, files } = runtimePackages(main);
    const reached = [...files].map((f) => relative(ROOT, f));
    expect(reached).toEqual(
      expect.arrayContaining(['stacks/config.ts', 'src/core/plan.ts', 'stacks/kubernetes/index.ts']),
    );
    expect([...packages].sort()).toEqual(
      expect.arrayContaining(['@pulumi/aws', '@pulumi/kubernetes', '@pulumi/pulumi']),
    );
    for (const p of packages)
      expect(Object.keys(packageJson.dependencies), `${p} (imported at run time)`).toContain(p);
  });

  it('compiled, declares the example Kubernetes stack in a plain node process', () => {
    const program = join(ROOT, (parse(read('docker/Pulumi.yaml')) as { main: string }).main);
    expect(existsSync(program), 'run `npm run build` first: the image runs dist/').toBe(true);
    const doc = parse(read('Pulumi.example-kubernetes.yaml')) as { config: Record<string, unknown> };
    const config = Object.fromEntries(
      Object.entries(doc.config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
    // Pulumi's mocks stand in for the engine; everything else is the program as the CLI loads it.
    const script = `
      import * as pulumi from '@pulumi/pulumi';
      const types = [];
      await pulumi.runtime.setMocks({
        newResource: (a) => { types.push(a.type); return { id: a.name + '_id', state: a.inputs }; },
        call: (a) => a.inputs,
      }, 'shadowcast', 'image');
      pulumi.runtime.setAllConfig(JSON.parse(process.env.STACK_CONFIG));
      const program = await import(process.env.PROGRAM);
      await new Promise((done) => pulumi.output(program.pools).apply(done));
      console.log(JSON.stringify({ target: program.target, pools: Object.keys(program.pools), types }));
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, STACK_CONFIG: JSON.stringify(config), PROGRAM: program },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      target: string;
      pools: string[];
      types: string[];
    };
    expect(out.target).toBe('kubernetes');
    expect(out.pools).toEqual(['storefront']);
    expect(out.types).toEqual(
      expect.arrayContaining([
        'kubernetes:apps/v1:Deployment',
        'kubernetes:core/v1:Service',
        'kubernetes:gateway.networking.k8s.io/v1:HTTPRoute',
      ]),
    );
  });
});
