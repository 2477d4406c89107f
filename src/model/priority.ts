/** How much a message matters, as syslog names it: err (a failure), warning, info (progress). */
export type Priority = 'err' | 'warning' | 'info';
