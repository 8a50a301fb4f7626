;; The two passes of Pillow's 8-bit resampling (src/prepare/pil-resample.ts) in WebAssembly SIMD,
;; bit for bit the same arithmetic: 22-bit fixed-point weights, + 2^21 (2097152) to round, >> 22,
;; clip to 0..255 (the saturating narrows), an 8-bit intermediate between the passes.
;; Built into resample-wasm-module.ts by `npm run build:wasm` (wabt); a unit test checks the two agree.
;;
;; Weights and bounds are laid out as pil-resample.ts computes them: for output index i, kk holds
;; ksize int32 weights from byte i * kstride, and bounds holds (first source index, taps) as two int32.
(module
  (import "env" "memory" (memory 1))

  ;; hpass(src, srcStride, rows, kk, bounds, kstride, cw, dst): for each of `rows` source rows and
  ;; each of `cw` output columns, dst = clip((2^21 + Σ src[xmin + t] · kk[t]) >> 22), three channels
  ;; at once: one pixel in lanes 0-2 of an i32x4 (lane 3 is the next pixel's red, and the 4-byte
  ;; store's last byte is written over by the next pixel).
  (func (export "hpass")
    (param $src i32) (param $srcStride i32) (param $rows i32) (param $kk i32)
    (param $bounds i32) (param $kstride i32) (param $cw i32) (param $dst i32)
    (local $y i32) (local $xx i32) (local $n i32) (local $p i32) (local $kp i32)
    (local $drow i32) (local $bp i32) (local $srow i32) (local $kpt i32)
    (local $acc v128)
    local.get $dst
    local.set $drow
    block $rows_done
      loop $row
        local.get $y
        local.get $rows
        i32.ge_s
        br_if $rows_done
        ;; srow = src + y * srcStride; start at output column 0
        local.get $src
        local.get $y
        local.get $srcStride
        i32.mul
        i32.add
        local.set $srow
        i32.const 0
        local.set $xx
        local.get $bounds
        local.set $bp
        local.get $kk
        local.set $kp
        block $columns_done
          loop $pixel
            local.get $xx
            local.get $cw
            i32.ge_s
            br_if $columns_done
            ;; p = srow + 3 * xmin; n = taps; acc = 2^21 in every lane
            local.get $srow
            local.get $bp
            i32.load
            i32.const 3
            i32.mul
            i32.add
            local.set $p
            local.get $bp
            i32.load offset=4
            local.set $n
            local.get $kp
            local.set $kpt
            i32.const 2097152
            i32x4.splat
            local.set $acc
            block $taps_done
              loop $tap
                local.get $n
                i32.eqz
                br_if $taps_done
                ;; acc += widen(4 source bytes at p) * kk[t]
                local.get $acc
                local.get $p
                v128.load32_zero align=1
                i16x8.extend_low_i8x16_u
                i32x4.extend_low_i16x8_u
                local.get $kpt
                i32.load
                i32x4.splat
                i32x4.mul
                i32x4.add
                local.set $acc
                local.get $p
                i32.const 3
                i32.add
                local.set $p
                local.get $kpt
                i32.const 4
                i32.add
                local.set $kpt
                local.get $n
                i32.const 1
                i32.sub
                local.set $n
                br $tap
              end
            end
            ;; *drow = the low 4 bytes of clip(acc >> 22)
            local.get $drow
            local.get $acc
            i32.const 22
            i32x4.shr_s
            local.tee $acc
            local.get $acc
            i16x8.narrow_i32x4_s
            local.tee $acc
            local.get $acc
            i8x16.narrow_i16x8_u
            i32x4.extract_lane 0
            i32.store align=1
            local.get $drow
            i32.const 3
            i32.add
            local.set $drow
            local.get $bp
            i32.const 8
            i32.add
            local.set $bp
            local.get $kp
            local.get $kstride
            i32.add
            local.set $kp
            local.get $xx
            i32.const 1
            i32.add
            local.set $xx
            br $pixel
          end
        end
        local.get $y
        i32.const 1
        i32.add
        local.set $y
        br $row
      end
    end)

  ;; vpass(tmp, stride, kk, bounds, kstride, ch, dst): for each of `ch` output rows, 16 bytes at a
  ;; time across the row: dst = clip((2^21 + Σ tmp[ymin + t][c] · kk[t]) >> 22). Rows are written
  ;; in order and a row's last 16-byte step may spill into the next row, which is written afterwards.
  (func (export "vpass")
    (param $tmp i32) (param $stride i32) (param $kk i32) (param $bounds i32)
    (param $kstride i32) (param $ch i32) (param $dst i32)
    (local $yy i32) (local $c i32) (local $n i32) (local $p i32) (local $kpt i32)
    (local $drow i32) (local $bp i32) (local $kp i32) (local $base i32)
    (local $k v128) (local $v v128) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    local.get $dst
    local.set $drow
    local.get $bounds
    local.set $bp
    local.get $kk
    local.set $kp
    block $rows_done
      loop $row
        local.get $yy
        local.get $ch
        i32.ge_s
        br_if $rows_done
        ;; base = tmp + ymin * stride; start at byte 0 of the row
        local.get $tmp
        local.get $bp
        i32.load
        local.get $stride
        i32.mul
        i32.add
        local.set $base
        i32.const 0
        local.set $c
        block $row_done
          loop $chunk
            local.get $c
            local.get $stride
            i32.ge_s
            br_if $row_done
            ;; four accumulators of 4 lanes = 16 bytes, each 2^21
            i32.const 2097152
            i32x4.splat
            local.tee $a0
            local.tee $a1
            local.tee $a2
            local.set $a3
            local.get $base
            local.get $c
            i32.add
            local.set $p
            local.get $kp
            local.set $kpt
            local.get $bp
            i32.load offset=4
            local.set $n
            block $taps_done
              loop $tap
                local.get $n
                i32.eqz
                br_if $taps_done
                ;; k = kk[t] in every lane; 16 bytes of row ymin + t, widened to 4 × i32x4
                local.get $kpt
                i32.load
                i32x4.splat
                local.set $k
                local.get $p
                v128.load align=1
                local.tee $v
                i16x8.extend_low_i8x16_u
                local.set $lo
                local.get $v
                i16x8.extend_high_i8x16_u
                local.set $hi
                local.get $a0
                local.get $lo
                i32x4.extend_low_i16x8_u
                local.get $k
                i32x4.mul
                i32x4.add
                local.set $a0
                local.get $a1
                local.get $lo
                i32x4.extend_high_i16x8_u
                local.get $k
                i32x4.mul
                i32x4.add
                local.set $a1
                local.get $a2
                local.get $hi
                i32x4.extend_low_i16x8_u
                local.get $k
                i32x4.mul
                i32x4.add
                local.set $a2
                local.get $a3
                local.get $hi
                i32x4.extend_high_i16x8_u
                local.get $k
                i32x4.mul
                i32x4.add
                local.set $a3
                local.get $p
                local.get $stride
                i32.add
                local.set $p
                local.get $kpt
                i32.const 4
                i32.add
                local.set $kpt
                local.get $n
                i32.const 1
                i32.sub
                local.set $n
                br $tap
              end
            end
            ;; drow[c .. c + 16] = clip(a >> 22), narrowed 32 → 16 → 8 bits with saturation
            local.get $drow
            local.get $c
            i32.add
            local.get $a0
            i32.const 22
            i32x4.shr_s
            local.get $a1
            i32.const 22
            i32x4.shr_s
            i16x8.narrow_i32x4_s
            local.get $a2
            i32.const 22
            i32x4.shr_s
            local.get $a3
            i32.const 22
            i32x4.shr_s
            i16x8.narrow_i32x4_s
            i8x16.narrow_i16x8_u
            v128.store align=1
            local.get $c
            i32.const 16
            i32.add
            local.set $c
            br $chunk
          end
        end
        local.get $drow
        local.get $stride
        i32.add
        local.set $drow
        local.get $bp
        i32.const 8
        i32.add
        local.set $bp
        local.get $kp
        local.get $kstride
        i32.add
        local.set $kp
        local.get $yy
        i32.const 1
        i32.add
        local.set $yy
        br $row
      end
    end)
)
