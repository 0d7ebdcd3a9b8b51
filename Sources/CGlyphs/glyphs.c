#include "CGlyphs.h"
#include <ft2build.h>
#include FT_FREETYPE_H
#include <math.h>
#include <stdlib.h>

struct lines_font {
    FT_Library library;
    FT_Face face;
};

lines_font *lines_font_open(const char *path, int *error) {
    lines_font *font = calloc(1, sizeof *font);
    if (!font) { *error = -1; return NULL; }
    FT_Error e = FT_Init_FreeType(&font->library);
    if (e) { *error = e; free(font); return NULL; }
    e = FT_New_Face(font->library, path, 0, &font->face);
    if (e) { *error = e; FT_Done_FreeType(font->library); free(font); return NULL; }
    *error = 0;
    return font;
}

void lines_font_close(lines_font *font) {
    if (!font) return;
    FT_Done_Face(font->face);
    FT_Done_FreeType(font->library);
    free(font);
}

int lines_font_render(lines_font *font, uint32_t codepoint, double size, const double m[4],
                      double cx, double cy, uint8_t *out, int side) {
    FT_Face face = font->face;
    FT_UInt index = FT_Get_Char_Index(face, codepoint);
    if (index == 0) return 1;
    FT_UInt px = (FT_UInt)(size < 1 ? 1 : (size > 512 ? 512 : lround(size)));
    FT_Error e = FT_Set_Pixel_Sizes(face, 0, px);
    if (e) return -abs(e);
    FT_Matrix matrix = {
        (FT_Fixed)lround(m[0] * 65536.0), (FT_Fixed)lround(m[1] * 65536.0),
        (FT_Fixed)lround(m[2] * 65536.0), (FT_Fixed)lround(m[3] * 65536.0),
    };
    FT_Set_Transform(face, &matrix, NULL);
    e = FT_Load_Glyph(face, index, FT_LOAD_RENDER | FT_LOAD_NO_HINTING);
    FT_Set_Transform(face, NULL, NULL);
    if (e) return -abs(e);
    FT_Bitmap *b = &face->glyph->bitmap;
    if (b->pixel_mode != FT_PIXEL_MODE_GRAY) return -1;
    int rows = (int)b->rows, width = (int)b->width;
    int x0 = (int)lround(cx - width / 2.0), y0 = (int)lround(cy - rows / 2.0);
    for (int y = 0; y < rows; y++) {
        int oy = y0 + y;
        if (oy < 0 || oy >= side) continue;
        const unsigned char *row = b->buffer + (ptrdiff_t)y * b->pitch;
        for (int x = 0; x < width; x++) {
            int ox = x0 + x;
            if (ox < 0 || ox >= side) continue;
            uint8_t v = row[x];
            uint8_t *d = out + (ptrdiff_t)oy * side + ox;
            if (v > *d) *d = v;
        }
    }
    return 0;
}
