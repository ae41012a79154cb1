/*
 * bench_svg.h -- a line chart as a standalone SVG file, for the benchmark
 * report: categories along x (sizes), one line per contender, a y axis from
 * zero with round ticks. No library: the file is text we write ourselves.
 */
#ifndef PMEM_BENCH_SVG_H
#define PMEM_BENCH_SVG_H

/* One line of the chart: y[i] for category i; y <= 0 leaves a gap. */
struct svg_series {
	const char *name;
	const double *y;
	int dashed;	/* a limit or a reference rather than a contender */
};

struct svg_chart {
	const char *title;
	const char *subtitle;	/* machine and date, say; may be NULL */
	const char *xlabel;
	const char *ylabel;
	const char *const *xticks;	/* nx category names */
	int nx;
	const struct svg_series *series;
	int ns;
};

/* svg_write -- writes the chart to path; 0, or -1 with errno */
int svg_write(const char *path, const struct svg_chart *c);

#endif
