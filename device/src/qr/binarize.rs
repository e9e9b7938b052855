//! Local-mean binarisation, for frames rxing's own binariser gives up on.
//!
//! rxing's hybrid binariser treats any 8×8 block whose grey levels span fewer than 24 values as
//! flat, so a faded badge in a dim room (dark and light modules 25–40 levels apart, then blurred)
//! comes out as one grey blob. Comparing each pixel with the mean of its neighbourhood, as a
//! fraction rather than a fixed step, keeps such a code's modules apart whatever the light.

/// Black (0) where a pixel is darker than `1 - offset` times the mean of the `window`×`window`
/// square around it, white (255) elsewhere. `window` should span a few modules.
pub fn local_mean(luma: &[u8], width: usize, height: usize, window: usize, offset: f32) -> Vec<u8> {
    if width == 0 || height == 0 || luma.len() != width * height {
        return Vec::new();
    }
    // Integral image with a zero row and column in front: sum of [0, x) × [0, y).
    let stride = width + 1;
    let mut integral = vec![0u32; stride * (height + 1)];
    for y in 0..height {
        let mut row_sum = 0u32;
        for x in 0..width {
            row_sum += luma[y * width + x] as u32;
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row_sum;
        }
    }
    let half = (window / 2).max(1);
    // Compare p * area * 1024 with sum * (1024 - offset * 1024): integers only.
    let keep = ((1.0 - offset.clamp(0.0, 0.5)) * 1024.0) as u64;
    let mut out = vec![255u8; width * height];
    for y in 0..height {
        let (y0, y1) = (y.saturating_sub(half), (y + half + 1).min(height));
        for x in 0..width {
            let (x0, x1) = (x.saturating_sub(half), (x + half + 1).min(width));
            let sum = integral[y1 * stride + x1] + integral[y0 * stride + x0]
                - integral[y0 * stride + x1]
                - integral[y1 * stride + x0];
            let area = ((x1 - x0) * (y1 - y0)) as u64;
            if (luma[y * width + x] as u64) * area * 1024 < sum as u64 * keep {
                out[y * width + x] = 0;
            }
        }
    }
    out
}

/// Unsharp masking: each pixel pushed away from the mean of the `(2 radius + 1)`² square around
/// it by `amount` times the difference. Restores the edges of a slightly defocused code enough
/// for the finder-pattern search, at the cost of amplifying noise (so it is a late pass).
pub fn sharpen(luma: &[u8], width: usize, height: usize, radius: usize, amount: f32) -> Vec<u8> {
    if width == 0 || height == 0 || luma.len() != width * height {
        return Vec::new();
    }
    let stride = width + 1;
    let mut integral = vec![0u32; stride * (height + 1)];
    for y in 0..height {
        let mut row_sum = 0u32;
        for x in 0..width {
            row_sum += luma[y * width + x] as u32;
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row_sum;
        }
    }
    let gain = (amount.clamp(0.0, 8.0) * 256.0) as i32;
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(height));
        for x in 0..width {
            let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(width));
            let sum = integral[y1 * stride + x1] + integral[y0 * stride + x0]
                - integral[y0 * stride + x1]
                - integral[y1 * stride + x0];
            let area = ((x1 - x0) * (y1 - y0)) as i32;
            let p = luma[y * width + x] as i32;
            let mean = sum as i32 / area;
            out.push((p + (((p - mean) * gain) >> 8)).clamp(0, 255) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faint_dark_squares_on_a_dim_field_come_out_black() {
        // A 40×40 field at 100 with a 10×10 square at 75: a 25-level step in a dark room.
        let (w, h) = (40, 40);
        let luma: Vec<u8> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if (15..25).contains(&x) && (15..25).contains(&y) {
                    75
                } else {
                    100
                }
            })
            .collect();
        let out = local_mean(&luma, w, h, 15, 0.05);
        assert_eq!(out[20 * w + 20], 0);
        assert_eq!(out[2 * w + 2], 255);
    }

    #[test]
    fn bad_dimensions_give_nothing() {
        assert!(local_mean(&[1, 2, 3], 2, 2, 5, 0.1).is_empty());
        assert!(sharpen(&[1, 2, 3], 2, 2, 1, 1.0).is_empty());
    }

    #[test]
    fn sharpening_steepens_a_soft_edge_and_leaves_flat_areas() {
        // A ramp from 80 to 160 over 8 pixels between two flat halves.
        let w = 32;
        let row: Vec<u8> = (0..w)
            .map(|x| match x {
                0..=11 => 80,
                12..=19 => 80 + (x as u8 - 11) * 10,
                _ => 160,
            })
            .collect();
        let luma: Vec<u8> = row.iter().cycle().take(w * 8).copied().collect();
        let out = sharpen(&luma, w, 8, 2, 1.5);
        let mid = 4 * w;
        assert_eq!(out[mid + 2], 80, "flat stays flat");
        assert_eq!(out[mid + 28], 160);
        assert!(
            out[mid + 12] < luma[mid + 12],
            "the dark side of the edge gets darker"
        );
        assert!(
            out[mid + 19] > luma[mid + 19],
            "the light side gets lighter"
        );
    }
}
