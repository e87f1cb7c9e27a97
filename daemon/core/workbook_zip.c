/* workbook_zip.c — the workbook's ZIP container, read from memory with
 * libzip, and its XML entries streamed into libxml2's xmlTextReader
 * (workbook_internal.h).
 *
 * Nothing declared in the archive is trusted: the number of entries is
 * checked before libzip reads the central directory, each entry is
 * decompressed through a counter that stops one byte past its limit
 * (WORKBOOK_ENTRY_MAX, and WORKBOOK_TOTAL_MAX for the whole read), and an
 * entry that grows more than WORKBOOK_BOMB_RATIO times its compressed size
 * past WORKBOOK_BOMB_SIZE is a ZIP bomb, stopped as soon as the ratio is
 * passed; so is one that comes out larger than it declares. Encrypted
 * entries are refused as password-protected. The XML is parsed without
 * network, DTD loading or entity substitution, and a DOCTYPE refuses the
 * document, seen in the bytes before the parser can act on it. Parse errors are kept (never printed) and
 * reported once. Pure: no I/O, no logging. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/workbook_internal.h"

#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

struct WorkbookXml {
        WorkbookInput *in;
        char *entry;
        zip_file_t *file;
        uint64_t compressed; /* the entry's compressed size */
        uint64_t declared;   /* its uncompressed size, as declared (or UINT64_MAX) */
        uint64_t read;       /* decompressed so far */
        unsigned doctype_match; /* bytes of "<!DOCTYPE" just seen, in the prolog */
        bool prolog_done;       /* the first element has started */
        int stream_error;    /* < 0: the stream stopped, already diagnosed */
        xmlTextReaderPtr reader;
        char *parse_error;   /* libxml2's first error, and its line */
        int parse_line;
        bool failed;
};

static int zip_damaged(WorkbookInput *in, const char *entry, int code) {
        static const struct {
                int code;
                const char *en, *fr;
        } reasons[] = {
                { ZIP_ER_NOZIP, "not a ZIP archive", "ce n'est pas une archive ZIP" },
                { ZIP_ER_INCONS, "inconsistent ZIP archive", "archive ZIP incohérente" },
                { ZIP_ER_CRC, "CRC error", "somme de contrôle fausse" },
                { ZIP_ER_EOF, "truncated ZIP archive", "archive ZIP tronquée" },
                { ZIP_ER_COMPNOTSUPP, "unsupported compression method", "méthode de compression inconnue" },
                { ZIP_ER_ZLIB, "corrupt compressed data", "données compressées corrompues" },
        };
        const char *en = "unreadable ZIP archive", *fr = "archive ZIP illisible";
        char *detail_en = NULL, *detail_fr = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(reasons); i++)
                if (reasons[i].code == code) {
                        en = reasons[i].en;
                        fr = reasons[i].fr;
                }
        if (!entry)
                return workbook_damaged(in, en, fr);
        if (asprintf(&detail_en, "%s: %s", entry, en) < 0)
                detail_en = NULL;
        if (asprintf(&detail_fr, "%s : %s", entry, fr) < 0)
                detail_fr = NULL;
        r = detail_en && detail_fr ? workbook_damaged(in, detail_en, detail_fr) : -ENOMEM;
        free(detail_en);
        free(detail_fr);
        return r;
}

int workbook_password(WorkbookInput *in, const char *entry) {
        int r = diag_error2(in->diags, in->file, NULL,
                            "the workbook is protected by a password (%s is encrypted): save it without a password",
                            "le classeur est protégé par un mot de passe (%s est chiffré) : enregistrez-le sans mot de passe",
                            entry);
        return r < 0 ? r : -EINVAL;
}

static uint64_t le(const uint8_t *p, size_t n) {
        uint64_t v = 0;

        for (size_t i = n; i-- > 0;)
                v = v << 8 | p[i];
        return v;
}

/* The entry count of the end of central directory record (or of its
 * ZIP64 form, when the record says 0xFFFF), read before libzip builds its
 * table of them. 0 when there is no record: libzip will say what is
 * wrong. */
static uint64_t zip_declared_entries(const uint8_t *p, size_t size) {
        size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0, at = SIZE_MAX;
        uint64_t n, record;

        if (size < 22)
                return 0;
        /* The record whose comment ends the file (a comment may hold the
         * signature too). */
        for (size_t i = size - 22 + 1; i-- > lowest;)
                if (memcmp(p + i, "PK\5\6", 4) == 0 && i + 22 + le(p + i + 20, 2) == size) {
                        at = i;
                        break;
                }
        if (at == SIZE_MAX)
                return 0;
        n = le(p + at + 10, 2);
        if (n != 0xFFFF || at < 20 || memcmp(p + at - 20, "PK\6\7", 4) != 0)
                return n;
        record = le(p + at - 20 + 8, 8);
        if (size < 56 || record > size - 56 || memcmp(p + record, "PK\6\6", 4) != 0)
                return n;
        return le(p + record + 32, 8);
}

static int zip_too_many_entries(WorkbookInput *in) {
        int r = diag_add2(in->diags, DIAG_ERROR, in->file, 0, NULL,
                          "abnormal archive: more than 1000 entries in the workbook",
                          "archive anormale : le classeur contient plus de 1 000 fichiers internes");
        return r < 0 ? r : -EINVAL;
}

int workbook_zip_open(WorkbookInput *in, const void *data, size_t size) {
        zip_error_t error;
        zip_source_t *source;
        zip_int64_t n;
        uint64_t declared;

        declared = zip_declared_entries(data, size);
        if (declared > WORKBOOK_ZIP_ENTRIES_MAX)
                return zip_too_many_entries(in);

        zip_error_init(&error);
        source = zip_source_buffer_create(size > 0 ? data : NULL, size, /* freep= */ 0, &error);
        if (!source) {
                int code = zip_error_code_zip(&error);
                zip_error_fini(&error);
                return code == ZIP_ER_MEMORY ? -ENOMEM : zip_damaged(in, NULL, code);
        }
        in->zip = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
        if (!in->zip) {
                int code = zip_error_code_zip(&error);
                zip_source_free(source);
                zip_error_fini(&error);
                return code == ZIP_ER_MEMORY ? -ENOMEM : zip_damaged(in, NULL, code);
        }
        zip_error_fini(&error);

        n = zip_get_num_entries(in->zip, 0);
        if (n < 0 || n > WORKBOOK_ZIP_ENTRIES_MAX)
                return zip_too_many_entries(in);
        return 0;
}

void workbook_zip_close(WorkbookInput *in) {
        if (in->zip)
                zip_discard(in->zip);
        in->zip = NULL;
}

static zip_int64_t zip_locate(WorkbookInput *in, const char *name) {
        return zip_name_locate(in->zip, name, in->nocase ? ZIP_FL_NOCASE : 0);
}

bool workbook_zip_has(WorkbookInput *in, const char *name) {
        return zip_locate(in, name) >= 0;
}

bool workbook_zip_has_prefix(WorkbookInput *in, const char *prefix) {
        zip_int64_t n = zip_get_num_entries(in->zip, 0);
        size_t len = strlen(prefix);

        for (zip_int64_t i = 0; i < n; i++) {
                const char *name = zip_get_name(in->zip, (zip_uint64_t) i, 0);

                if (name && (in->nocase ? strncasecmp(name, prefix, len) : strncmp(name, prefix, len)) == 0)
                        return true;
        }
        return false;
}

/* ---- the limits, as the entry is decompressed ---- */

static int entry_too_large(WorkbookInput *in, const char *entry, bool total) {
        int r;

        if (!total)
                r = diag_error2(in->diags, in->file, NULL,
                                "the workbook is too large: %s is over 32 MiB uncompressed",
                                "le classeur est trop gros : %s dépasse 32 Mio une fois décompressé",
                                entry);
        else
                r = diag_add2(in->diags, DIAG_ERROR, in->file, 0, NULL,
                              "the workbook is too large: over 64 MiB uncompressed",
                              "le classeur est trop gros : plus de 64 Mio une fois décompressé");
        return r < 0 ? r : -EINVAL;
}

static int entry_bomb(WorkbookInput *in, const char *entry) {
        int r = diag_error2(in->diags, in->file, NULL,
                            "abnormal archive (ZIP bomb): %s expands to more than 200 times its size",
                            "archive anormale (bombe ZIP) : %s se décompresse en plus de 200 fois sa taille",
                            entry);
        return r < 0 ? r : -EINVAL;
}

/* An entry that comes out larger than it declared lies about itself:
 * what a bomb made to pass the declared-size check does. */
static int entry_lies(WorkbookInput *in, const char *entry) {
        int r = diag_error2(in->diags, in->file, NULL,
                            "abnormal archive (ZIP bomb): %s expands beyond the size it declares",
                            "archive anormale (bombe ZIP) : %s se décompresse au-delà de la taille qu'elle annonce",
                            entry);
        return r < 0 ? r : -EINVAL;
}

static bool entry_ratio_too_high(uint64_t size, uint64_t compressed) {
        return size > WORKBOOK_BOMB_SIZE && size / WORKBOOK_BOMB_RATIO > compressed;
}

static int xml_refuse_dtd(WorkbookXml *x);

/* Looks for "<!DOCTYPE" in the prolog, before libxml2 sees it: the
 * parser reads ahead, and would process the DTD's entities (a billion
 * laughs) before handing the DOCTYPE node to workbook_xml_read(). The
 * scan ends at the first element's start tag. */
static bool entry_has_doctype(WorkbookXml *x, const char *buf, size_t n) {
        static const char doctype[] = "<!DOCTYPE";

        for (size_t i = 0; i < n && !x->prolog_done; i++) {
                unsigned char c = (unsigned char) buf[i];

                if (x->doctype_match == 1 && (c == '_' || c == ':' || c >= 0x80 || (unsigned) ((c | 0x20) - 'a') < 26u)) {
                        x->prolog_done = true;
                        break;
                }
                if (c == (unsigned char) doctype[x->doctype_match]) {
                        if (++x->doctype_match == sizeof(doctype) - 1)
                                return true;
                } else
                        x->doctype_match = c == '<';
        }
        return false;
}

/* libxml2's input callback: at most the limit plus one byte is ever
 * decompressed, whatever the archive declares. */
static int entry_read(void *userdata, char *buf, int len) {
        WorkbookXml *x = userdata;
        uint64_t want = len > 0 ? (uint64_t) len : 0;
        zip_int64_t n;

        if (x->stream_error < 0)
                return -1;
        if (want > WORKBOOK_ENTRY_MAX + 1 - x->read)
                want = WORKBOOK_ENTRY_MAX + 1 - x->read;
        if (want > WORKBOOK_TOTAL_MAX + 1 - x->in->total_read)
                want = WORKBOOK_TOTAL_MAX + 1 - x->in->total_read;
        n = zip_fread(x->file, buf, want);
        if (n < 0) {
                x->stream_error = zip_damaged(x->in, x->entry, zip_error_code_zip(zip_file_get_error(x->file)));
                return -1;
        }
        x->read += (uint64_t) n;
        x->in->total_read += (uint64_t) n;
        if (x->read > WORKBOOK_ENTRY_MAX || x->in->total_read > WORKBOOK_TOTAL_MAX) {
                x->stream_error = entry_too_large(x->in, x->entry, x->read <= WORKBOOK_ENTRY_MAX);
                return -1;
        }
        if (x->read > x->declared) {
                x->stream_error = entry_lies(x->in, x->entry);
                return -1;
        }
        if (entry_ratio_too_high(x->read, x->compressed)) {
                x->stream_error = entry_bomb(x->in, x->entry);
                return -1;
        }
        if (entry_has_doctype(x, buf, (size_t) n)) {
                x->stream_error = xml_refuse_dtd(x);
                return -1;
        }
        return (int) n;
}

static int entry_close(void *userdata) {
        (void) userdata; /* the zip_file_t is closed by workbook_xml_free() */
        return 0;
}

static void entry_parse_error(void *userdata, xmlErrorPtr error) {
        WorkbookXml *x = userdata;
        size_t n;

        if (!error || error->level < XML_ERR_ERROR || x->parse_error)
                return;
        x->parse_error = malloc(128);
        x->parse_line = error->line;
        if (!x->parse_error)
                return;
        workbook_display_name(error->message ? error->message : "XML error", x->parse_error);
        /* libxml2 ends its messages with a newline (now a '?'). */
        n = strlen(x->parse_error);
        while (n > 0 && (x->parse_error[n - 1] == '?' || x->parse_error[n - 1] == ' '))
                x->parse_error[--n] = 0;
}

/* ---- XML entries ---- */

static void xml_ignore_generic(void *context, const char *format, ...) {
        (void) context;
        (void) format;
}

static void xml_ignore_structured(void *context, xmlErrorPtr error) {
        (void) context;
        (void) error;
}

void workbook_xml_errors_silence(WorkbookXmlErrors *saved) {
        *saved = (WorkbookXmlErrors) {
                .generic = xmlGenericError,
                .generic_context = xmlGenericErrorContext,
                .structured = xmlStructuredError,
                .structured_context = xmlStructuredErrorContext,
        };
        xmlSetGenericErrorFunc(NULL, xml_ignore_generic);
        xmlSetStructuredErrorFunc(NULL, xml_ignore_structured);
}

void workbook_xml_errors_restore(const WorkbookXmlErrors *saved) {
        xmlSetGenericErrorFunc(saved->generic_context, saved->generic);
        xmlSetStructuredErrorFunc(saved->structured_context, saved->structured);
}

WorkbookXml *workbook_xml_free(WorkbookXml *x) {
        if (!x)
                return NULL;
        if (x->reader)
                xmlFreeTextReader(x->reader);
        if (x->file)
                zip_fclose(x->file);
        free(x->parse_error);
        free(x->entry);
        free(x);
        return NULL;
}

int workbook_xml_open(WorkbookInput *in, const char *part, WorkbookXml **ret) {
        _cleanup_(workbook_xml_freep) WorkbookXml *x = NULL;
        char name[128]; /* `part` as messages show it: it may come from the file */
        zip_int64_t index;
        zip_stat_t st;

        index = zip_locate(in, part);
        if (index < 0)
                return -ENOENT;
        workbook_display_name(part, name);
        zip_stat_init(&st);
        if (zip_stat_index(in->zip, (zip_uint64_t) index, 0, &st) < 0)
                return zip_damaged(in, name, zip_error_code_zip(zip_get_error(in->zip)));
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
                return workbook_password(in, name);
        /* What the archive declares may refuse it at once (never accept it:
         * the read below counts what really comes out). */
        if ((st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE) && entry_ratio_too_high(st.size, st.comp_size))
                return entry_bomb(in, name);
        if ((st.valid & ZIP_STAT_SIZE) && st.size > WORKBOOK_ENTRY_MAX)
                return entry_too_large(in, name, false);

        x = calloc(1, sizeof(WorkbookXml));
        if (!x)
                return -ENOMEM;
        x->in = in;
        x->compressed = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
        x->declared = (st.valid & ZIP_STAT_SIZE) ? st.size : UINT64_MAX;
        x->entry = strdup(name);
        if (!x->entry)
                return -ENOMEM;
        x->file = zip_fopen_index(in->zip, (zip_uint64_t) index, 0);
        if (!x->file) {
                int code = zip_error_code_zip(zip_get_error(in->zip));

                if (code == ZIP_ER_MEMORY)
                        return -ENOMEM;
                if (code == ZIP_ER_NOPASSWD || code == ZIP_ER_ENCRNOTSUPP || code == ZIP_ER_WRONGPASSWD)
                        return workbook_password(in, name);
                return zip_damaged(in, name, code);
        }
        x->reader = xmlReaderForIO(entry_read, entry_close, x, /* URL= */ name, /* encoding= */ NULL,
                                   XML_OPTIONS);
        if (!x->reader)
                return -ENOMEM;
        xmlTextReaderSetStructuredErrorHandler(x->reader, entry_parse_error, x);
        *ret = TAKE_PTR(x);
        return 0;
}

static int xml_refuse_dtd(WorkbookXml *x) {
        WorkbookInput *in = x->in;
        int r = diag_error2(in->diags, in->file, NULL,
                            "the workbook contains a DTD declaration (%s): refused",
                            "le classeur contient une déclaration DTD (%s) : refusé",
                            x->entry);
        return r < 0 ? r : -EINVAL;
}

static int xml_damaged(WorkbookXml *x) {
        const char *en_what = x->parse_error ? x->parse_error : "unreadable XML";
        const char *fr_what = x->parse_error ? x->parse_error : "XML illisible";
        char *en = NULL, *fr = NULL;
        int r;

        /* libxml2's message stays in English in both: it names the fault
         * precisely, and the French text around it says what to do. */
        if (x->parse_line > 0) {
                if (asprintf(&en, "%s, line %d: %s", x->entry, x->parse_line, en_what) < 0)
                        en = NULL;
                if (asprintf(&fr, "%s, ligne %d : %s", x->entry, x->parse_line, fr_what) < 0)
                        fr = NULL;
        } else {
                if (asprintf(&en, "%s: %s", x->entry, en_what) < 0)
                        en = NULL;
                if (asprintf(&fr, "%s : %s", x->entry, fr_what) < 0)
                        fr = NULL;
        }
        r = en && fr ? workbook_damaged(x->in, en, fr) : -ENOMEM;
        free(en);
        free(fr);
        return r;
}

int workbook_xml_read(WorkbookXml *x) {
        int r, type;

        if (x->failed)
                return -EINVAL;
        r = xmlTextReaderRead(x->reader);
        if (r > 0) {
                type = xmlTextReaderNodeType(x->reader);
                if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE ||
                    type == XML_READER_TYPE_ENTITY) {
                        x->failed = true;
                        return xml_refuse_dtd(x);
                }
                return 1;
        }
        x->failed = r < 0 || x->stream_error < 0;
        if (x->stream_error < 0)
                return x->stream_error;
        if (r < 0)
                return xml_damaged(x);
        return 0;
}

int workbook_xml_skip(WorkbookXml *x) {
        int depth, r;

        if (xmlTextReaderNodeType(x->reader) != XML_READER_TYPE_ELEMENT || xmlTextReaderIsEmptyElement(x->reader))
                return 0;
        depth = xmlTextReaderDepth(x->reader);
        for (;;) {
                r = workbook_xml_next(x);
                if (r < 0)
                        return r;
                if (xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_END_ELEMENT &&
                    xmlTextReaderDepth(x->reader) == depth)
                        return 0;
        }
}

int workbook_xml_next(WorkbookXml *x) {
        int r = workbook_xml_read(x);

        if (r != 0)
                return r;
        /* Never happens with libxml2 (an unclosed element is a parse
         * error), but a caller inside an element must not loop on it. */
        x->failed = true;
        return xml_damaged(x);
}

xmlTextReaderPtr workbook_xml_reader(WorkbookXml *x) {
        return x->reader;
}

const char *workbook_xml_entry(WorkbookXml *x) {
        return x->entry;
}

/* ---- node tests ---- */

static bool xml_name_is(xmlTextReaderPtr r, const char *ns, const char *local) {
        const xmlChar *name = xmlTextReaderConstLocalName(r);

        if (!name || !xmlStrEqual(name, (const xmlChar *) local))
                return false;
        return !ns || xmlStrEqual(xmlTextReaderConstNamespaceUri(r), (const xmlChar *) ns);
}

bool workbook_xml_is_start(xmlTextReaderPtr r, const char *ns, const char *local) {
        return xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT && xml_name_is(r, ns, local);
}

bool workbook_xml_is_end(xmlTextReaderPtr r, const char *ns, const char *local) {
        return xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT && xml_name_is(r, ns, local);
}

bool workbook_xml_is_text(xmlTextReaderPtr r) {
        int type = xmlTextReaderNodeType(r);

        return type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
               type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

char *workbook_xml_attr(xmlTextReaderPtr r, const char *ns, const char *local) {
        xmlChar *v = ns ? xmlTextReaderGetAttributeNs(r, (const xmlChar *) local, (const xmlChar *) ns)
                        : xmlTextReaderGetAttribute(r, (const xmlChar *) local);
        return (char *) v;
}

char *workbook_xml_attr_any_ns(xmlTextReaderPtr r, const char *local) {
        char *v = NULL;

        if (xmlTextReaderMoveToFirstAttribute(r) != 1)
                return NULL;
        do {
                const xmlChar *uri = xmlTextReaderConstNamespaceUri(r);

                if (uri && !xmlTextReaderIsNamespaceDecl(r) &&
                    xmlStrEqual(xmlTextReaderConstLocalName(r), (const xmlChar *) local)) {
                        v = (char *) xmlTextReaderValue(r);
                        break;
                }
        } while (xmlTextReaderMoveToNextAttribute(r) == 1);
        (void) xmlTextReaderMoveToElement(r);
        return v;
}
