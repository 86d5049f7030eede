// Placeholder until its issue lands: keeps the CLI wiring compiling. Owned by the helper building 'history'.
export async function history(_profile: string, _opts: import('../cli.js').CommonOptions & { format: 'text' | 'json' }): Promise<number> {
  process.stderr.write('rollcall history: not available yet\n');
  return 3;
}
