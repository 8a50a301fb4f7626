;; uint8 RGB HWC crops → float32 NCHW model input, ((x · scale) − mean) / std with every step
;; rounded to float32 (numpy's arithmetic in the Python reference; normaliseCrops in
;; src/inputs/normalise.ts does the same in JavaScript). Sixteen pixels per step: three 16-byte
;; loads, a byte shuffle that splits them into R, G and B, then four lanes at a time.
;; Built into simd-normalise-wasm.ts by `npm run build:wasm` (wabt); a unit test checks the two agree.
;;
;; nchw(src, dst, images, plane, params):
;;   src     images × plane × 3 bytes
;;   dst     images × 3 × plane float32 (16-byte aligned)
;;   params  for source channel ch = 0, 1, 2 (R, G, B): scale, mean, std as float32 (9 values),
;;           then the byte offset of its model plane within an image (3 × i32: BGR models swap R and B)
(module
  (memory (export "memory") 1)

  ;; Sixteen bytes of one channel → 16 floats at dst (4 stores).
  (func $channel (param $x v128) (param $dst i32) (param $s v128) (param $m v128) (param $d v128)
    (local $lo v128) (local $hi v128)
    (local.set $lo (i16x8.extend_low_i8x16_u (local.get $x)))
    (local.set $hi (i16x8.extend_high_i8x16_u (local.get $x)))
    (v128.store offset=0 (local.get $dst)
      (f32x4.div (f32x4.sub (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $lo))) (local.get $s)) (local.get $m)) (local.get $d)))
    (v128.store offset=16 (local.get $dst)
      (f32x4.div (f32x4.sub (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $lo))) (local.get $s)) (local.get $m)) (local.get $d)))
    (v128.store offset=32 (local.get $dst)
      (f32x4.div (f32x4.sub (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $hi))) (local.get $s)) (local.get $m)) (local.get $d)))
    (v128.store offset=48 (local.get $dst)
      (f32x4.div (f32x4.sub (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $hi))) (local.get $s)) (local.get $m)) (local.get $d))))

  ;; One value the same way, for the pixels after the last full group of sixteen.
  (func $one (param $x i32) (param $dst i32) (param $s f32) (param $m f32) (param $d f32)
    (f32.store (local.get $dst)
      (f32.div (f32.sub (f32.mul (f32.convert_i32_u (local.get $x)) (local.get $s)) (local.get $m)) (local.get $d))))

  (func (export "nchw") (param $src i32) (param $dst i32) (param $images i32) (param $plane i32) (param $params i32)
    (local $s0 v128) (local $m0 v128) (local $d0 v128)
    (local $s1 v128) (local $m1 v128) (local $d1 v128)
    (local $s2 v128) (local $m2 v128) (local $d2 v128)
    (local $o0 i32) (local $o1 i32) (local $o2 i32)
    (local $i i32) (local $k i32) (local $full i32) (local $p i32) (local $img i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128)
    (local.set $s0 (v128.load32_splat offset=0 (local.get $params)))
    (local.set $m0 (v128.load32_splat offset=4 (local.get $params)))
    (local.set $d0 (v128.load32_splat offset=8 (local.get $params)))
    (local.set $s1 (v128.load32_splat offset=12 (local.get $params)))
    (local.set $m1 (v128.load32_splat offset=16 (local.get $params)))
    (local.set $d1 (v128.load32_splat offset=20 (local.get $params)))
    (local.set $s2 (v128.load32_splat offset=24 (local.get $params)))
    (local.set $m2 (v128.load32_splat offset=28 (local.get $params)))
    (local.set $d2 (v128.load32_splat offset=32 (local.get $params)))
    (local.set $o0 (i32.load offset=36 (local.get $params)))
    (local.set $o1 (i32.load offset=40 (local.get $params)))
    (local.set $o2 (i32.load offset=44 (local.get $params)))
    (local.set $full (i32.and (local.get $plane) (i32.const -16)))
    (block $done
      (loop $image
        (br_if $done (i32.ge_u (local.get $i) (local.get $images)))
        (local.set $img (i32.add (local.get $dst) (i32.mul (local.get $i) (i32.mul (local.get $plane) (i32.const 12)))))
        (local.set $p (i32.add (local.get $src) (i32.mul (local.get $i) (i32.mul (local.get $plane) (i32.const 3)))))
        (local.set $k (i32.const 0))
        (block $tail
          (loop $group
            (br_if $tail (i32.ge_u (local.get $k) (local.get $full)))
            (local.set $v0 (v128.load offset=0 align=1 (local.get $p)))
            (local.set $v1 (v128.load offset=16 align=1 (local.get $p)))
            (local.set $v2 (v128.load offset=32 align=1 (local.get $p)))
            ;; R = bytes 0, 3, …, 45; G = 1, 4, …, 46; B = 2, 5, …, 47 (lanes 16–31 name the second operand).
            (call $channel
              (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 17 20 23 26 29
                (i8x16.shuffle 0 3 6 9 12 15 18 21 24 27 30 0 0 0 0 0 (local.get $v0) (local.get $v1)) (local.get $v2))
              (i32.add (i32.add (local.get $img) (local.get $o0)) (i32.shl (local.get $k) (i32.const 2)))
              (local.get $s0) (local.get $m0) (local.get $d0))
            (call $channel
              (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 18 21 24 27 30
                (i8x16.shuffle 1 4 7 10 13 16 19 22 25 28 31 0 0 0 0 0 (local.get $v0) (local.get $v1)) (local.get $v2))
              (i32.add (i32.add (local.get $img) (local.get $o1)) (i32.shl (local.get $k) (i32.const 2)))
              (local.get $s1) (local.get $m1) (local.get $d1))
            (call $channel
              (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 16 19 22 25 28 31
                (i8x16.shuffle 2 5 8 11 14 17 20 23 26 29 0 0 0 0 0 0 (local.get $v0) (local.get $v1)) (local.get $v2))
              (i32.add (i32.add (local.get $img) (local.get $o2)) (i32.shl (local.get $k) (i32.const 2)))
              (local.get $s2) (local.get $m2) (local.get $d2))
            (local.set $p (i32.add (local.get $p) (i32.const 48)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $group)))
        (block $next
          (loop $pixel
            (br_if $next (i32.ge_u (local.get $k) (local.get $plane)))
            (call $one (i32.load8_u offset=0 (local.get $p)) (i32.add (i32.add (local.get $img) (local.get $o0)) (i32.shl (local.get $k) (i32.const 2)))
              (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 0 (local.get $m0)) (f32x4.extract_lane 0 (local.get $d0)))
            (call $one (i32.load8_u offset=1 (local.get $p)) (i32.add (i32.add (local.get $img) (local.get $o1)) (i32.shl (local.get $k) (i32.const 2)))
              (f32x4.extract_lane 0 (local.get $s1)) (f32x4.extract_lane 0 (local.get $m1)) (f32x4.extract_lane 0 (local.get $d1)))
            (call $one (i32.load8_u offset=2 (local.get $p)) (i32.add (i32.add (local.get $img) (local.get $o2)) (i32.shl (local.get $k) (i32.const 2)))
              (f32x4.extract_lane 0 (local.get $s2)) (f32x4.extract_lane 0 (local.get $m2)) (f32x4.extract_lane 0 (local.get $d2)))
            (local.set $p (i32.add (local.get $p) (i32.const 3)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $pixel)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $image))))
)
