// Placeholder until its issue lands: keeps the CLI wiring compiling. Owned by the helper building 'report'.
export async function report(_profile: string, _opts: import('../cli.js').ReportOptions): Promise<number> {
  process.stderr.write('rollcall report: not available yet\n');
  return 3;
}
