// asciichart ships no types; this is the part of its API the chart uses.
declare module 'asciichart' {
  export interface PlotConfig {
    min?: number;
    max?: number;
    offset?: number;
    padding?: string;
    height?: number;
    colors?: string[];
    symbols?: string[];
    format?: (value: number, row: number) => string;
  }
  export function plot(series: number[] | number[][], config?: PlotConfig): string;
}
