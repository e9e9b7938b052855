//! Where a code may be when no finder pattern was found at the frame's own scale.
//!
//! A QR code is a patch where the grey level changes often in every direction; clutter is
//! mostly flat areas, single edges and stripes. Counting strong changes per 8×8 block and
//! grouping the busy blocks gives a few candidate boxes, cheaply (one pass over the frame).
//! The decoder then enlarges each box and reads it again: codes of 2–3 px per module, which
//! are too fine for a finder-pattern search at full resolution, read well at twice the size.

/// Side of a block, pixels.
const BLOCK: usize = 16;
/// A block's darkest and brightest pixels must differ by at least this much (sensor noise on a
/// flat area varies often but little).
const MIN_CONTRAST: u32 = 48;
/// How much the grey level varies along the block's rows and along its columns, in tenths of
/// one full-contrast crossing per row or column. Measured on rendered frames: a code of 2–3 px
/// modules gives 10–16 each way, a single edge 10 one way and 2–5 the other. Total variation
/// survives blur, so soft codes still count.
const MIN_EACH_WAY: u32 = 8;
const MIN_BOTH_WAYS: u32 = 22;

/// A box in frame pixels: left, top, right (exclusive), bottom (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub left: usize,
    pub top: usize,
    pub right: usize,
    pub bottom: usize,
}

impl Region {
    pub fn width(&self) -> usize {
        self.right - self.left
    }

    pub fn height(&self) -> usize {
        self.bottom - self.top
    }

    /// The box grown by `margin` on each side, kept inside a `w` × `h` frame.
    pub fn grown(&self, margin: usize, w: usize, h: usize) -> Region {
        Region {
            left: self.left.saturating_sub(margin),
            top: self.top.saturating_sub(margin),
            right: (self.right + margin).min(w),
            bottom: (self.bottom + margin).min(h),
        }
    }
}

/// Up to `max` boxes of busy blocks between `min_side` and `max_side` pixels across, largest
/// first.
pub fn busy_regions(
    luma: &[u8],
    w: usize,
    h: usize,
    min_side: usize,
    max_side: usize,
    max: usize,
) -> Vec<Region> {
    if luma.len() != w * h || w < BLOCK || h < BLOCK {
        return Vec::new();
    }
    let (bw, bh) = (w / BLOCK, h / BLOCK);
    let busy: Vec<bool> = (0..bw * bh)
        .map(|i| block_is_busy(luma, w, (i % bw) * BLOCK, (i / bw) * BLOCK))
        .collect();
    // Close one-block gaps (a large module, a flat finder centre) so one code is one group.
    let mut grown = busy.clone();
    for by in 0..bh {
        for bx in 0..bw {
            if busy[by * bw + bx] {
                continue;
            }
            let around = neighbours(bx, by, bw, bh)
                .filter(|&(x, y)| busy[y * bw + x])
                .count();
            grown[by * bw + bx] = around >= 4;
        }
    }

    let mut seen = vec![false; bw * bh];
    let mut found: Vec<(usize, Region)> = Vec::new();
    let mut stack = Vec::new();
    for start in 0..bw * bh {
        if !grown[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let mut blocks = 0;
        while let Some(i) = stack.pop() {
            let (bx, by) = (i % bw, i / bw);
            blocks += 1;
            x0 = x0.min(bx);
            y0 = y0.min(by);
            x1 = x1.max(bx);
            y1 = y1.max(by);
            for (nx, ny) in neighbours(bx, by, bw, bh) {
                let j = ny * bw + nx;
                if grown[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        let (cols, rows) = (x1 - x0 + 1, y1 - y0 + 1);
        let (pw, ph) = (cols * BLOCK, rows * BLOCK);
        let square_enough = pw.max(ph) <= 2 * pw.min(ph) + 2 * BLOCK;
        let filled = blocks * 2 >= cols * rows;
        if pw.max(ph) >= min_side && pw.max(ph) <= max_side && square_enough && filled {
            let region = Region {
                left: x0 * BLOCK,
                top: y0 * BLOCK,
                right: (x1 + 1) * BLOCK,
                bottom: (y1 + 1) * BLOCK,
            };
            found.push((blocks, region));
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().take(max).map(|(_, r)| r).collect()
}

/// The 8 blocks around (bx, by) inside a `bw` × `bh` grid.
fn neighbours(bx: usize, by: usize, bw: usize, bh: usize) -> impl Iterator<Item = (usize, usize)> {
    (-1isize..=1)
        .flat_map(|dy| (-1isize..=1).map(move |dx| (dx, dy)))
        .filter(|&d| d != (0, 0))
        .filter_map(move |(dx, dy)| {
            let (x, y) = (bx as isize + dx, by as isize + dy);
            (x >= 0 && y >= 0 && (x as usize) < bw && (y as usize) < bh)
                .then_some((x as usize, y as usize))
        })
}

/// Whether the block at (x0, y0) has contrast and varies often both across and down.
fn block_is_busy(luma: &[u8], w: usize, x0: usize, y0: usize) -> bool {
    let (mut lo, mut hi) = (u8::MAX, u8::MIN);
    let (mut across, mut down) = (0u32, 0u32);
    for y in y0..y0 + BLOCK {
        let row = &luma[y * w + x0..y * w + x0 + BLOCK];
        for p in row.windows(2) {
            across += p[0].abs_diff(p[1]) as u32;
        }
        for &v in row {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if y + 1 < y0 + BLOCK {
            let next = &luma[(y + 1) * w + x0..(y + 1) * w + x0 + BLOCK];
            for (a, b) in row.iter().zip(next) {
                down += a.abs_diff(*b) as u32;
            }
        }
    }
    let contrast = (hi - lo) as u32;
    if contrast < MIN_CONTRAST {
        return false;
    }
    let tenth = contrast * BLOCK as u32;
    across.min(down) * 10 >= MIN_EACH_WAY * tenth && (across + down) * 10 >= MIN_BOTH_WAYS * tenth
}

/// The box of `luma` enlarged `factor` times with bilinear interpolation (1: a plain crop).
pub fn upscale(luma: &[u8], w: usize, region: Region, factor: usize) -> (Vec<u8>, usize, usize) {
    let (rw, rh) = (region.width(), region.height());
    let (ow, oh) = (rw * factor, rh * factor);
    let mut out = Vec::with_capacity(ow * oh);
    if factor <= 1 {
        for y in region.top..region.bottom {
            out.extend_from_slice(&luma[y * w + region.left..y * w + region.right]);
        }
        return (out, rw, rh);
    }
    let f = factor as f32;
    for oy in 0..oh {
        let sy = ((oy as f32 + 0.5) / f - 0.5).clamp(0.0, (rh - 1) as f32);
        let y0 = sy as usize;
        let y1 = (y0 + 1).min(rh - 1);
        let fy = sy - y0 as f32;
        let (r0, r1) = (
            &luma[(region.top + y0) * w + region.left..],
            &luma[(region.top + y1) * w + region.left..],
        );
        for ox in 0..ow {
            let sx = ((ox as f32 + 0.5) / f - 0.5).clamp(0.0, (rw - 1) as f32);
            let x0 = sx as usize;
            let x1 = (x0 + 1).min(rw - 1);
            let fx = sx - x0 as f32;
            let top = r0[x0] as f32 * (1.0 - fx) + r0[x1] as f32 * fx;
            let bottom = r1[x0] as f32 * (1.0 - fx) + r1[x1] as f32 * fx;
            out.push((top * (1.0 - fy) + bottom * fy + 0.5) as u8);
        }
    }
    (out, ow, oh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat 320×240 field with a 64×64 checkerboard of 2 px squares at (96, 80).
    fn field_with_fine_pattern() -> Vec<u8> {
        let (w, h) = (320, 240);
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let inside = (96..160).contains(&x) && (80..144).contains(&y);
                if inside && ((x / 2) + (y / 2)) % 2 == 0 {
                    30
                } else {
                    200
                }
            })
            .collect()
    }

    #[test]
    fn a_fine_pattern_on_a_flat_field_is_one_region_around_it() {
        let luma = field_with_fine_pattern();
        let regions = busy_regions(&luma, 320, 240, 24, 200, 3);
        assert_eq!(regions.len(), 1, "{regions:?}");
        let r = regions[0];
        assert!(r.left <= 96 && r.right >= 160, "{r:?}");
        assert!(r.top <= 80 && r.bottom >= 140, "{r:?}");
    }

    #[test]
    fn a_single_edge_or_a_flat_frame_gives_no_region() {
        let (w, h) = (320, 240);
        let edge: Vec<u8> = (0..w * h)
            .map(|i| if i % w < 160 { 40 } else { 220 })
            .collect();
        assert!(busy_regions(&edge, w, h, 24, 200, 3).is_empty());
        assert!(busy_regions(&vec![128; w * h], w, h, 24, 200, 3).is_empty());
        assert!(busy_regions(&[0; 10], w, h, 24, 200, 3).is_empty());
    }

    #[test]
    fn upscaling_doubles_the_box_and_keeps_its_levels() {
        let luma = field_with_fine_pattern();
        let region = Region {
            left: 96,
            top: 80,
            right: 106,
            bottom: 90,
        };
        let (out, ow, oh) = upscale(&luma, 320, region, 2);
        assert_eq!((ow, oh), (20, 20));
        assert_eq!(out.len(), 400);
        assert_eq!(out[0], 30);
        assert!(out.iter().all(|&v| (30..=200).contains(&v)));
    }
}
