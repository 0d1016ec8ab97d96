import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The one table of allowed directions between the folders of src/lib/server (README.md, Layout):
 * core under the features, the features in their order, admin above every feature, transport on
 * top, and the composition root (files directly in src/lib/server: app.ts, testing.ts) over all.
 * A folder may always import itself. Anything not listed here is an upward import.
 */
const ALLOWED: Record<string, readonly string[]> = {
	core: [],
	auth: ['core'],
	calls: ['core', 'auth'],
	scanner: ['core'],
	live: ['core', 'auth', 'calls', 'scanner'],
	transcripts: ['core', 'calls'],
	share: ['core', 'auth', 'calls'],
	forward: ['core', 'calls'],
	alerts: ['core', 'auth', 'calls', 'live', 'transcripts'],
	admin: ['core', 'auth', 'calls', 'scanner', 'live', 'transcripts', 'share', 'forward', 'alerts'],
	realtime: [
		'core',
		'auth',
		'calls',
		'scanner',
		'live',
		'transcripts',
		'share',
		'forward',
		'alerts',
		'admin'
	],
	trpc: [
		'core',
		'auth',
		'calls',
		'scanner',
		'live',
		'transcripts',
		'share',
		'forward',
		'alerts',
		'admin',
		'realtime'
	],
	http: [
		'core',
		'auth',
		'calls',
		'scanner',
		'live',
		'transcripts',
		'share',
		'forward',
		'alerts',
		'admin',
		'realtime',
		'trpc'
	],
	'(root)': [
		'core',
		'auth',
		'calls',
		'scanner',
		'live',
		'transcripts',
		'share',
		'forward',
		'alerts',
		'admin',
		'realtime',
		'trpc',
		'http'
	]
};

const SERVER = path.resolve(import.meta.dirname);
const LIB = path.dirname(SERVER);

export interface ImportEdge {
	from: string;
	to: string;
	/** Server-relative file paths, for the failure message. */
	file: string;
	target: string;
}

/** Every module specifier a file names: imports, `import type`, re-exports and `import()`. */
export function specifiers(source: string, fileName = 'x.ts'): string[] {
	const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false);
	const found: string[] = [];
	const visit = (node: ts.Node) => {
		if (
			(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
			node.moduleSpecifier &&
			ts.isStringLiteral(node.moduleSpecifier)
		)
			found.push(node.moduleSpecifier.text);
		else if (
			ts.isCallExpression(node) &&
			node.expression.kind === ts.SyntaxKind.ImportKeyword &&
			node.arguments[0] &&
			ts.isStringLiteralLike(node.arguments[0])
		)
			found.push(node.arguments[0].text);
		else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
			const literal = node.argument.literal;
			if (ts.isStringLiteral(literal)) found.push(literal.text);
		}
		ts.forEachChild(node, visit);
	};
	visit(sf);
	return found;
}

/** The folder of src/lib/server a path lies in, '(root)' for files directly in it, null outside. */
function folderOf(file: string): string | null {
	const rel = path.relative(SERVER, file);
	if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
	const parts = rel.split(path.sep);
	return parts.length === 1 ? '(root)' : parts[0];
}

function sourceFiles(dir: string): string[] {
	return fs
		.readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((e) => e.isFile() && /\.ts$/.test(e.name) && !/\.(spec|test)\.ts$/.test(e.name))
		.map((e) => path.join(e.parentPath, e.name));
}

/** The folder-to-folder imports of the server code (unit specs excluded: they may reach across). */
export function importEdges(files = sourceFiles(SERVER)): ImportEdge[] {
	const edges: ImportEdge[] = [];
	for (const file of files) {
		const from = folderOf(file);
		if (!from) continue;
		for (const spec of specifiers(fs.readFileSync(file, 'utf8'), file)) {
			let target: string;
			if (spec.startsWith('$lib/')) target = path.join(LIB, spec.slice('$lib/'.length));
			else if (spec.startsWith('.')) target = path.resolve(path.dirname(file), spec);
			else continue; // a package
			const to = folderOf(target);
			if (!to || to === from) continue;
			edges.push({
				from,
				to,
				file: path.relative(SERVER, file),
				target: path.relative(SERVER, target)
			});
		}
	}
	return edges;
}

export function upwardImports(edges: ImportEdge[]): string[] {
	return edges
		.filter((e) => !(ALLOWED[e.from] ?? []).includes(e.to))
		.map((e) => `${e.file} imports ${e.target} (${e.from} → ${e.to})`);
}

/** A folder-level cycle as its path (a → b → a), or null. */
export function findCycle(edges: Array<{ from: string; to: string }>): string[] | null {
	const next = new Map<string, Set<string>>();
	for (const { from, to } of edges) {
		if (!next.has(from)) next.set(from, new Set());
		next.get(from)!.add(to);
	}
	const state = new Map<string, 'open' | 'done'>();
	const stack: string[] = [];
	const visit = (node: string): string[] | null => {
		if (state.get(node) === 'done') return null;
		if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
		state.set(node, 'open');
		stack.push(node);
		for (const to of next.get(node) ?? []) {
			const cycle = visit(to);
			if (cycle) return cycle;
		}
		stack.pop();
		state.set(node, 'done');
		return null;
	};
	for (const node of next.keys()) {
		const cycle = visit(node);
		if (cycle) return cycle;
	}
	return null;
}

describe('the import graph of src/lib/server', () => {
	const edges = importEdges();

	it('reads imports, type imports, re-exports and dynamic imports from the TypeScript syntax', () => {
		const source = [
			"import a from './a';",
			"import type { B } from '../b';",
			"export { c } from './c';",
			"export * from '$lib/server/d';",
			"const e = await import('./e');",
			"type F = import('./f').F;",
			"// import g from './g';",
			'const h = \'import x from "./h"\';'
		].join('\n');
		expect(specifiers(source)).toEqual(['./a', '../b', './c', '$lib/server/d', './e', './f']);
	});

	it('covers every folder of the server and sees the imports between them', () => {
		const folders = fs
			.readdirSync(SERVER, { withFileTypes: true })
			.filter((e) => e.isDirectory())
			.map((e) => e.name);
		expect(folders.filter((f) => !(f in ALLOWED))).toEqual([]);
		expect(edges.length).toBeGreaterThan(50);
		expect(edges.some((e) => e.from === 'trpc' && e.to === 'auth')).toBe(true);
	});

	it('has no import from a lower layer to a higher one', () => {
		expect(upwardImports(edges)).toEqual([]);
	});

	it('has no folder-level cycle', () => {
		expect(findCycle(edges)).toBeNull();
	});

	it('names an upward import and a cycle when there is one', () => {
		const up = { from: 'core', to: 'admin', file: 'core/x.ts', target: 'admin/users' };
		expect(upwardImports([up])).toEqual(['core/x.ts imports admin/users (core → admin)']);
		expect(findCycle([up, { from: 'admin', to: 'core' }])).toEqual(['core', 'admin', 'core']);
	});

	it('keeps the table itself free of cycles', () => {
		const table = Object.entries(ALLOWED).flatMap(([from, tos]) => tos.map((to) => ({ from, to })));
		expect(findCycle(table)).toBeNull();
	});
});
