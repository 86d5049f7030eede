// Placeholder until its issue lands: keeps the CLI wiring compiling. Owned by the helper building 'demo'.
export async function demo(_opts: import('../cli.js').DemoOptions): Promise<number> {
  process.stderr.write('rollcall demo: not available yet\n');
  return 3;
}
