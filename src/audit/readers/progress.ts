/** Progress callbacks of the readers (the CLI draws them on stderr when it is a TTY). */
export interface ReadProgress {
  /** One result page was received. */
  page(cloud: string, operation: string, items: number): void;
}
