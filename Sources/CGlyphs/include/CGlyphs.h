#ifndef LINES_CGLYPHS_H
#define LINES_CGLYPHS_H
#include <stddef.h>
#include <stdint.h>

/// One font face opened with FreeType (opaque).
typedef struct lines_font lines_font;

/// Opens the first face of the font file at `path`; NULL on failure, with FreeType's error
/// code in `*error` (nonzero).
lines_font *lines_font_open(const char *path, int *error);

/// Closes a face opened by lines_font_open (NULL is ignored).
void lines_font_close(lines_font *font);

/// Renders `codepoint` anti-aliased at a pixel height of `size` under the linear map
/// `m` = {xx, xy, yx, yy} (applied to the outline, y up), and blends it (maximum of coverages)
/// into the `side`×`side` row-major coverage map `out` with the glyph's ink box centred at
/// (`cx`, `cy`) (pixels, y down). Ink outside the canvas is clipped.
/// Returns 0 when drawn, 1 when the face has no glyph for `codepoint`, and a negative FreeType
/// error code otherwise.
int lines_font_render(lines_font *font, uint32_t codepoint, double size, const double m[4],
                      double cx, double cy, uint8_t *out, int side);

#endif
