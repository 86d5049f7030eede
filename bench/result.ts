// One figure a benchmark reports; bench/run.ts prints it beside the committed baseline.
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The budget from the issue, in the same unit, when there is one. */
  budget?: number;
  /** Default true: a larger value is a regression. */
  lowerIsBetter?: boolean;
  note?: string;
}
