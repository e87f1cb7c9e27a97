/* render_bench — per-invoice cost of the renderers, for scripts/bench.
 *
 *   render_bench CONFIG BILAN KIND ITERATIONS
 *
 * Loads CONFIG (its [conventions] dir) and BILAN once, renders once of
 * every kind to warm up (fonts, ICC profile, libxml2), then renders KIND
 * ITERATIONS times, each render inside bench_run(), the function
 * scripts/bench gives callgrind's --toggle-collect, so that the instruction
 * count covers the renders and nothing else. The kinds:
 *
 *   ubl, cii, facturx  render_invoice(): the whole invoice, with the bilan
 *                      report PDF every format carries as BG-24;
 *   report             bilan_report_render() alone;
 *   ubl-xml, cii-xml   the UBL or CII writer alone (invoice_ubl_render(),
 *                      invoice_cii_render()) on an invoice model built once,
 *                      outside bench_run(), with the report already attached:
 *                      the XML, base64 of the report included;
 *   all                every kind, interleaved.
 *
 * Prints, per kind, one line "KIND median_ns=N iterations=N bytes=N", then
 * "vmhwm_warm_kb=N vmhwm_end_kb=N" (peak RSS after the warm-up and at the
 * end: a leak per render shows as growth). Exit status: 0, 1 if a render
 * failed, 2 for a usage or load error.
 *
 * Built by scripts/bench with the Makefile's flags, linked with
 * libchorus.a; not part of `make`. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bilan.h"
#include "writers/bilan_report.h"
#include "writers/invoice_cii.h"
#include "writers/invoice_ubl.h"
#include "base/config.h"
#include "core/convention.h"
#include "base/fileio.h"
#include "core/proration.h"
#include "writers/render.h"
#include "service/convention_dir.h"
#include "service/pdf_assets.h"

#define BENCH_NUMBER "CMA34-2026-0001"
#define ITERATIONS_MAX 100000

typedef enum BenchKind {
        BENCH_UBL,
        BENCH_CII,
        BENCH_FACTURX,
        BENCH_REPORT,
        BENCH_UBL_XML,
        BENCH_CII_XML,
        _BENCH_KIND_MAX,
} BenchKind;

static const char *const bench_kind_table[_BENCH_KIND_MAX] = {
        [BENCH_UBL] = "ubl",
        [BENCH_CII] = "cii",
        [BENCH_FACTURX] = "facturx",
        [BENCH_REPORT] = "report",
        [BENCH_UBL_XML] = "ubl-xml",
        [BENCH_CII_XML] = "cii-xml",
};

typedef struct BenchInput {
        Config *config;
        ConventionSet *conventions;
        const Convention *convention;
        Bilan *bilan;
        Proration *proration;
        Date issue_date;
        PdfAssets *pdf_assets; /* read once, outside the measured renders */
        RenderedInvoice *model; /* a UBL rendered once: its model, report attached, for the XML writers */
} BenchInput;

static void bench_input_done(BenchInput *in) {
        rendered_invoice_free(in->model);
        proration_free(in->proration);
        bilan_free(in->bilan);
        convention_set_free(in->conventions);
        config_free(in->config);
        pdf_assets_free(in->pdf_assets);
}

static uint64_t now_ns(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return (x > y) - (x < y);
}

/* VmHWM in kB, or 0 if /proc cannot tell. */
static unsigned long vmhwm_kb(void) {
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned long kb = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
                        break;
        return kb;
}

static int bench_render_invoice(const BenchInput *in, InvoiceFormat format, RenderedInvoice **ret);

static int bench_load(const char *config_path, const char *bilan_path, BenchInput *in) {
        _cleanup_(freep) char *data = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        size_t size;
        int r;

        r = config_load(config_path, &in->config, &d);
        if (r >= 0) {
                r = pdf_assets_load(&in->pdf_assets);
                if (r < 0)
                        fprintf(stderr, "render_bench: cannot read the fonts or ICC profile: %s\n", strerror(-r));
        }
        if (r >= 0)
                r = convention_set_load_dir(in->config->conventions.dir, &in->conventions, &d);
        if (r >= 0) {
                r = read_file_bounded(bilan_path, BILAN_SIZE_MAX, &data, &size);
                if (r < 0)
                        fprintf(stderr, "render_bench: cannot read '%s': %s\n", bilan_path, strerror(-r));
        }
        if (r >= 0)
                r = bilan_parse(bilan_path, data, size, in->conventions, &in->bilan, &in->convention, &d);
        if (r >= 0)
                r = proration_compute(in->convention, in->bilan, &in->proration, &d);
        diagnostics_print(&d, stderr, /* french= */ false);
        diagnostics_clear(&d);
        in->issue_date = in->bilan ? in->bilan->issued_on : (Date) {};
        /* The model the XML writers are measured on: built once, here. */
        if (r >= 0)
                r = bench_render_invoice(in, INVOICE_FORMAT_UBL, &in->model);
        return r;
}

/* render_invoice() of `format`: 0 and the invoice, or -errno. */
static int bench_render_invoice(const BenchInput *in, InvoiceFormat format, RenderedInvoice **ret) {
        Diagnostics d = DIAGNOSTICS_INIT;
        const RenderRequest req = {
                .config = in->config,
                .convention = in->convention,
                .bilan = in->bilan,
                .number = BENCH_NUMBER,
                .issue_date = in->issue_date,
                .format = format,
                .pdf_assets = in->pdf_assets,
        };
        int r;

        r = render_invoice(&req, ret, &d);
        diagnostics_print(&d, stderr, /* french= */ false);
        diagnostics_clear(&d);
        return r;
}

/* One render of `kind`; returns its size in bytes, or -errno. */
static int64_t bench_render_once(const BenchInput *in, BenchKind kind) {
        static const InvoiceFormat formats[] = {
                [BENCH_UBL] = INVOICE_FORMAT_UBL,
                [BENCH_CII] = INVOICE_FORMAT_CII,
                [BENCH_FACTURX] = INVOICE_FORMAT_FACTURX,
        };
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        _cleanup_(freep) char *data = NULL;
        size_t n = 0;
        int r;

        switch (kind) {
        case BENCH_REPORT:
                r = bilan_report_render(in->convention, in->bilan, in->proration, in->pdf_assets, &data, &n);
                break;
        case BENCH_UBL_XML:
                r = invoice_ubl_render(in->model->invoice, &data, &n);
                break;
        case BENCH_CII_XML:
                r = invoice_cii_render(in->model->invoice, &data, &n);
                break;
        default:
                r = bench_render_invoice(in, formats[kind], &out);
                if (r >= 0)
                        n = out->size;
        }
        return r < 0 ? r : (int64_t) n;
}

/* One measured render: callgrind collects from here only (--toggle-collect).
 * noinline so that the symbol exists whatever the optimisation level. */
__attribute__((noinline)) int64_t bench_run(const BenchInput *in, BenchKind kind, uint64_t *ret_ns);
__attribute__((noinline)) int64_t bench_run(const BenchInput *in, BenchKind kind, uint64_t *ret_ns) {
        uint64_t t0 = now_ns();
        int64_t size = bench_render_once(in, kind);

        *ret_ns = now_ns() - t0;
        return size;
}

/* Rounds of one render of each selected kind, interleaved, so that a burst
 * of load on the machine hits every kind alike; then the median of each. */
static int bench_rounds(const BenchInput *in, const bool selected[static _BENCH_KIND_MAX], unsigned n) {
        _cleanup_(freep) uint64_t *times = calloc((size_t) n * _BENCH_KIND_MAX, sizeof *times);
        int64_t sizes[_BENCH_KIND_MAX] = {};

        if (!times)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++)
                for (BenchKind k = 0; k < _BENCH_KIND_MAX; k++) {
                        if (!selected[k])
                                continue;
                        sizes[k] = bench_run(in, k, &times[(size_t) k * n + i]);
                        if (sizes[k] < 0) {
                                fprintf(stderr, "render_bench: %s failed: %s\n", bench_kind_table[k],
                                        strerror((int) -sizes[k]));
                                return (int) sizes[k];
                        }
                }
        for (BenchKind k = 0; k < _BENCH_KIND_MAX; k++) {
                uint64_t *t = &times[(size_t) k * n];

                if (!selected[k])
                        continue;
                qsort(t, n, sizeof *t, cmp_u64);
                printf("%s median_ns=%llu iterations=%u bytes=%lld\n", bench_kind_table[k],
                       (unsigned long long) t[n / 2], n, (long long) sizes[k]);
        }
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(bench_input_done) BenchInput in = {};
        unsigned long n;
        unsigned long warm_kb;
        bool selected[_BENCH_KIND_MAX] = {}, any = false;
        char *end;

        if (argc != 5) {
                fprintf(stderr, "usage: render_bench CONFIG BILAN ubl|cii|facturx|report|ubl-xml|cii-xml|all ITERATIONS\n");
                return 2;
        }
        for (BenchKind k = 0; k < _BENCH_KIND_MAX; k++) {
                selected[k] = strcmp(argv[3], "all") == 0 || strcmp(argv[3], bench_kind_table[k]) == 0;
                any = any || selected[k];
        }
        errno = 0;
        n = strtoul(argv[4], &end, 10);
        if (!any || errno != 0 || *end || n == 0 || n > ITERATIONS_MAX) {
                fprintf(stderr, "render_bench: bad KIND '%s' or ITERATIONS '%s' (1..%d)\n", argv[3], argv[4],
                        ITERATIONS_MAX);
                return 2;
        }
        if (bench_load(argv[1], argv[2], &in) < 0) {
                fprintf(stderr, "render_bench: cannot load '%s' and '%s'\n", argv[1], argv[2]);
                return 2;
        }

        for (BenchKind k = 0; k < _BENCH_KIND_MAX; k++)
                if (bench_render_once(&in, k) < 0) {
                        fprintf(stderr, "render_bench: warm-up render of %s failed\n", bench_kind_table[k]);
                        return 1;
                }
        warm_kb = vmhwm_kb();

        if (bench_rounds(&in, selected, (unsigned) n) < 0)
                return 1;
        printf("vmhwm_warm_kb=%lu vmhwm_end_kb=%lu\n", warm_kb, vmhwm_kb());
        return 0;
}
