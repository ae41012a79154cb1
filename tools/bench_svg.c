/*
 * bench_svg.c -- the line chart of bench_svg.h.
 */
#include <math.h>
#include <stdio.h>

#include "bench_svg.h"

#define W 840
#define H 440
#define LEFT 70
#define RIGHT 270	/* room for the legend */
#define TOP 60
#define BOTTOM 60

static const char *const Colors[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#7f7f7f", "#9467bd", "#ff7f0e",
};
#define NCOLORS (int)(sizeof(Colors) / sizeof(Colors[0]))

/* esc -- writes s with XML's special characters escaped (internal) */
static void
esc(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* tick_step -- a round step giving about five ticks up to max (internal) */
static double
tick_step(double max)
{
	double raw = max / 5, mag = pow(10, floor(log10(raw)));
	double n = raw / mag;
	return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

int
svg_write(const char *path, const struct svg_chart *c)
{
	double max = 0;
	for (int s = 0; s < c->ns; s++)
		for (int i = 0; i < c->nx; i++)
			if (c->series[s].y[i] > max)
				max = c->series[s].y[i];
	if (max <= 0)
		max = 1;
	double step = tick_step(max);
	double top = ceil(max / step) * step;
	double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;

	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
		"font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"white\"/>\n", W, H, W, H);
	fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"16\" "
		"font-weight=\"bold\">", LEFT);
	esc(f, c->title);
	fputs("</text>\n", f);
	if (c->subtitle != NULL) {
		fprintf(f, "<text x=\"%d\" y=\"42\" fill=\"#555\">", LEFT);
		esc(f, c->subtitle);
		fputs("</text>\n", f);
	}
	/* y grid and ticks */
	for (double v = 0; v <= top + step / 2; v += step) {
		double y = TOP + ph - v / top * ph;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#ddd\"/>\n<text x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n", LEFT, y, LEFT + pw, y,
			LEFT - 6, y + 4, v);
	}
	/* x ticks: categories evenly spaced */
	for (int i = 0; i < c->nx; i++) {
		double x = LEFT + (c->nx > 1 ? pw * i / (c->nx - 1) : pw / 2);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#eee\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\">", x, TOP, x, TOP + ph, x,
			TOP + ph + 18);
		esc(f, c->xticks[i]);
		fputs("</text>\n", f);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" "
		"fill=\"none\" stroke=\"#333\"/>\n", LEFT, TOP, pw, ph);
	fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
		LEFT + pw / 2, H - 16);
	esc(f, c->xlabel);
	fprintf(f, "</text>\n<text transform=\"translate(18 %.1f) "
		"rotate(-90)\" text-anchor=\"middle\">", TOP + ph / 2);
	esc(f, c->ylabel);
	fputs("</text>\n", f);

	for (int s = 0; s < c->ns; s++) {
		const struct svg_series *se = &c->series[s];
		const char *color = Colors[s % NCOLORS];
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"2\"%s points=\"", color,
			se->dashed ? " stroke-dasharray=\"6 4\"" : "");
		for (int i = 0; i < c->nx; i++) {
			if (se->y[i] <= 0)
				continue;
			double x = LEFT + (c->nx > 1 ? pw * i / (c->nx - 1) :
				pw / 2);
			fprintf(f, "%.1f,%.1f ", x, TOP + ph - se->y[i] / top *
				ph);
		}
		fputs("\"/>\n", f);
		for (int i = 0; i < c->nx; i++) {
			if (se->y[i] <= 0)
				continue;
			double x = LEFT + (c->nx > 1 ? pw * i / (c->nx - 1) :
				pw / 2);
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
				"fill=\"%s\"/>\n", x, TOP + ph - se->y[i] /
				top * ph, color);
		}
		double ly = TOP + 10 + s * 22;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n"
			"<text x=\"%.1f\" y=\"%.1f\">", LEFT + pw + 14, ly,
			LEFT + pw + 40, ly, color,
			se->dashed ? " stroke-dasharray=\"6 4\"" : "",
			LEFT + pw + 46, ly + 4);
		esc(f, se->name);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}
