// Placeholder until its issue lands: keeps the CLI wiring compiling. Owned by the helper building 'validate'.
export async function validate(_files: string[]): Promise<number> {
  process.stderr.write('rollcall validate: not available yet\n');
  return 3;
}
