// asciichart ships no types; this is the part mlf uses.
declare module "asciichart" {
  export function plot(series: number[] | number[][], config?: { height?: number; colors?: string[]; format?: (x: number) => string; padding?: string }): string;
  export const blue: string;
  export const green: string;
  export const red: string;
  export const yellow: string;
  export const magenta: string;
  export const cyan: string;
  export const reset: string;
  const chart: { plot: typeof plot };
  export default chart;
}
