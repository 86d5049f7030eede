// Placeholder until its issue lands: keeps the CLI wiring compiling. Owned by the helper building 'schema'.
export async function schema(): Promise<number> {
  process.stderr.write('rollcall schema: not available yet\n');
  return 3;
}
