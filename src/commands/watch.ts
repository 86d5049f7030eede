// Placeholder until its issue lands: keeps the CLI wiring compiling. Owned by the helper building 'watch'.
export async function watch(_profile: string, _opts: import('../cli.js').WatchOptions): Promise<number> {
  process.stderr.write('rollcall watch: not available yet\n');
  return 3;
}
