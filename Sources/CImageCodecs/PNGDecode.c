#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

typedef struct {
    jmp_buf jump;
    const unsigned char *data;
    size_t size;
    size_t offset;
    int truncated;
    char *message;
    png_bytep *rows;
} lines_png_context;

static void lines_png_error(png_structp png, png_const_charp message) {
    lines_png_context *ctx = (lines_png_context *)png_get_error_ptr(png);
    strncpy(ctx->message, message ? message : "libpng error", 199);
    ctx->message[199] = 0;
    longjmp(ctx->jump, 1);
}

static void lines_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void lines_png_read(png_structp png, png_bytep dest, png_size_t length) {
    lines_png_context *ctx = (lines_png_context *)png_get_io_ptr(png);
    if (length > ctx->size - ctx->offset) {
        ctx->truncated = 1;
        png_error(png, "unexpected end of file");
    }
    memcpy(dest, ctx->data + ctx->offset, length);
    ctx->offset += length;
}

int lines_png_decode(const unsigned char *data, size_t size, long max_pixels, lines_decoded_image *out) {
    lines_png_context ctx;
    png_structp png = NULL;
    png_infop info = NULL;
    memset(out, 0, sizeof(*out));
    memset(&ctx, 0, sizeof(ctx));
    ctx.data = data;
    ctx.size = size;
    ctx.message = out->message;

    // Refuse a decompression bomb from IHDR alone, before libpng reads any further chunk.
    if (size >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
        unsigned long w = ((unsigned long)data[16] << 24) | ((unsigned long)data[17] << 16) | ((unsigned long)data[18] << 8) | data[19];
        unsigned long h = ((unsigned long)data[20] << 24) | ((unsigned long)data[21] << 16) | ((unsigned long)data[22] << 8) | data[23];
        if ((double)w * (double)h > (double)max_pixels) {
            out->width = (int)(w > 0x7fffffffUL ? 0x7fffffffUL : w);
            out->height = (int)(h > 0x7fffffffUL ? 0x7fffffffUL : h);
            return LINES_DECODE_TOO_LARGE;
        }
    }
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, lines_png_error, lines_png_warning);
    if (!png) return LINES_DECODE_NO_MEMORY;
    info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return LINES_DECODE_NO_MEMORY;
    }
    if (setjmp(ctx.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(ctx.rows);
        free(out->pixels);
        out->pixels = NULL;
        return ctx.truncated ? LINES_DECODE_TRUNCATED : LINES_DECODE_CORRUPT;
    }
    png_set_read_fn(png, &ctx, lines_png_read);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    int color_type = png_get_color_type(png, info);
    out->width = (int)width;
    out->height = (int)height;
    out->png_color_type = color_type;
    if ((double)width * (double)height > (double)max_pixels) {
        png_destroy_read_struct(&png, &info, NULL);
        return LINES_DECODE_TOO_LARGE;
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_colorp palette = NULL;
        int count = 0;
        if (png_get_PLTE(png, info, &palette, &count) && palette) {
            if (count > 256) count = 256;
            for (int i = 0; i < count; i++) {
                out->palette[3 * i + 0] = palette[i].red;
                out->palette[3 * i + 1] = palette[i].green;
                out->palette[3 * i + 2] = palette[i].blue;
            }
            out->palette_count = count;
        }
    }
    if (bit_depth < 8) png_set_packing(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    out->channels = png_get_channels(png, info);
    out->bit_depth = bit_depth;
    size_t stride = png_get_rowbytes(png, info);
    out->pixels = malloc(stride * height);
    ctx.rows = malloc(sizeof(png_bytep) * height);
    if (!out->pixels || !ctx.rows) {
        png_destroy_read_struct(&png, &info, NULL);
        free(ctx.rows);
        free(out->pixels);
        out->pixels = NULL;
        return LINES_DECODE_NO_MEMORY;
    }
    for (png_uint_32 y = 0; y < height; y++) ctx.rows[y] = out->pixels + stride * y;
    png_read_image(png, ctx.rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(ctx.rows);
    return LINES_DECODE_OK;
}
