/* xml_lazy.c — libxml2, loaded when first called (issue 14).
 *
 * Only the spreadsheet reader (core/workbook_*.c: .ods and .xlsx bilans)
 * uses libxml2 now that the invoice writer serializes itself, but linking
 * it made every chorusd and chorusctl load it with ICU and libstdc++ at
 * exec: 4 M of the instructions the dynamic loader spent before main() and
 * 1.8 MiB of peak RSS, for every `chorusctl render` of a JSON bilan. So the
 * binaries are not linked with -lxml2: this file defines the 24 functions
 * the reader calls and forwards them to libxml2.so.2 dlopen()ed at the
 * first call (the tests, which use libxml2 themselves, link it; dlopen()
 * then returns the library already there). If it cannot be loaded the
 * reason is logged once and the reader fails as on a refused document
 * (xmlReaderForIO() NULL, reads -1). The loading is base/lazy_library.c's. */
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlstring.h>

#include "base/lazy_library.h"

static LazyLibrary xml_library = LAZY_LIBRARY("libxml2.so.2", false);

#define XML_LAZY(ret, name, params, args, fail) LAZY_FORWARD(xml_library, ret, name, params, args, fail)
#define XML_LAZY_VOID(name, params, args) LAZY_FORWARD_VOID(xml_library, name, params, args)

typedef xmlTextReaderPtr Reader;

/* libxml2's per-thread error handlers (the xmlGenericError… macros): a
 * harmless place of our own when libxml2 cannot be had. */
static xmlGenericErrorFunc no_generic;
static xmlStructuredErrorFunc no_structured;
static void *no_context;
XML_LAZY(xmlGenericErrorFunc *, __xmlGenericError, (void), (), &no_generic)
XML_LAZY(void **, __xmlGenericErrorContext, (void), (), &no_context)
XML_LAZY(xmlStructuredErrorFunc *, __xmlStructuredError, (void), (), &no_structured)
XML_LAZY(void **, __xmlStructuredErrorContext, (void), (), &no_context)

XML_LAZY(Reader, xmlReaderForIO,
         (xmlInputReadCallback ioread, xmlInputCloseCallback ioclose, void *ioctx, const char *URL,
          const char *encoding, int options),
         (ioread, ioclose, ioctx, URL, encoding, options), NULL)
XML_LAZY_VOID(xmlFreeTextReader, (Reader r), (r))
XML_LAZY_VOID(xmlSetGenericErrorFunc, (void *ctx, xmlGenericErrorFunc handler), (ctx, handler))
XML_LAZY_VOID(xmlSetStructuredErrorFunc, (void *ctx, xmlStructuredErrorFunc handler), (ctx, handler))
XML_LAZY_VOID(xmlTextReaderSetStructuredErrorHandler, (Reader r, xmlStructuredErrorFunc f, void *arg),
              (r, f, arg))
XML_LAZY(int, xmlStrEqual, (const xmlChar *a, const xmlChar *b), (a, b), 0)
XML_LAZY(const xmlChar *, xmlTextReaderConstLocalName, (Reader r), (r), NULL)
XML_LAZY(const xmlChar *, xmlTextReaderConstNamespaceUri, (Reader r), (r), NULL)
XML_LAZY(const xmlChar *, xmlTextReaderConstValue, (Reader r), (r), NULL)
XML_LAZY(xmlChar *, xmlTextReaderValue, (Reader r), (r), NULL)
XML_LAZY(xmlChar *, xmlTextReaderGetAttribute, (Reader r, const xmlChar *name), (r, name), NULL)
XML_LAZY(xmlChar *, xmlTextReaderGetAttributeNs, (Reader r, const xmlChar *name, const xmlChar *ns),
         (r, name, ns), NULL)
XML_LAZY(int, xmlTextReaderDepth, (Reader r), (r), -1)
XML_LAZY(int, xmlTextReaderIsEmptyElement, (Reader r), (r), -1)
XML_LAZY(int, xmlTextReaderIsNamespaceDecl, (Reader r), (r), -1)
XML_LAZY(int, xmlTextReaderMoveToElement, (Reader r), (r), -1)
XML_LAZY(int, xmlTextReaderMoveToFirstAttribute, (Reader r), (r), -1)
XML_LAZY(int, xmlTextReaderMoveToNextAttribute, (Reader r), (r), -1)
XML_LAZY(int, xmlTextReaderNodeType, (Reader r), (r), -1)
XML_LAZY(int, xmlTextReaderRead, (Reader r), (r), -1)
