// Recipes: the mini-R1 pipeline and its report.

export { barChart, escapeHtml, lineChart, renderReport } from './report.js';
export type { Plot, ReportInput, Series, StageRow, Transcript } from './report.js';
