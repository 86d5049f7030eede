// Placeholder until its issue lands: keeps the CLI wiring compiling. Owned by the helper building 'check'.
export async function check(_profile: string, _opts: import('../cli.js').CheckOptions): Promise<number> {
  process.stderr.write('rollcall check: not available yet\n');
  return 3;
}
