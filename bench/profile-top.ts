/**
 * Prints the functions with the most self time in a V8 .cpuprofile (from `node --cpu-prof`,
 * e.g. BENCH_CPU_PROF=/tmp/prof npm run bench):  npx tsx bench/profile-top.ts <file> [count]
 */
import fs from 'node:fs';

interface ProfileNode {
	id: number;
	children?: number[];
	callFrame: { functionName: string; url: string; lineNumber: number };
	hitCount?: number;
}
interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

const [file, count = '25'] = process.argv.slice(2);
if (!file) {
	console.error('usage: tsx bench/profile-top.ts <file.cpuprofile> [count]');
	process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (node: ProfileNode) => {
	const { functionName, url, lineNumber } = node.callFrame;
	const where = url
		? `${url.replace(/^.*\/(node_modules|build|src)\//, '$1/')}:${lineNumber + 1}`
		: '';
	return `${functionName || '(anonymous)'} ${where}`.trim();
};
// Self time: the function on top of the stack. Total time: the function anywhere on the stack.
const selfUs = new Map<string, number>();
const totalUs = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
	const dt = profile.timeDeltas[i] ?? 0;
	total += dt;
	const top = keyOf(byId.get(id)!);
	selfUs.set(top, (selfUs.get(top) ?? 0) + dt);
	const seen = new Set<string>();
	for (let n: number | undefined = id; n !== undefined; n = parent.get(n))
		seen.add(keyOf(byId.get(n)!));
	for (const key of seen) totalUs.set(key, (totalUs.get(key) ?? 0) + dt);
});
const print = (
	title: string,
	map: Map<string, number>,
	filter: (name: string) => boolean = () => true
) => {
	console.log(title);
	const rows = [...map]
		.filter(([name]) => filter(name))
		.sort((a, b) => b[1] - a[1])
		.slice(0, Number(count));
	for (const [name, us] of rows)
		console.log(
			`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`
		);
};
print('self time', selfUs);
// Total time of the app's own code (the server build's chunks) shows which path the cost is under.
print('\ntotal time, app code', totalUs, (name) => / (build|src)\//.test(name));
console.log(`\n${(total / 1000).toFixed(0)} ms sampled`);
