"""An 8-lane float64 vector for numba kernels (LLVM ``<8 x double>``).

Numba has no vector type, and its auto-vectoriser leaves the total-permutation
kernels' eight per-permutation accumulators scalar. ``Vec8`` is a numba type whose
data model is LLVM's ``<8 x double>``: a loop-carried ``Vec8`` stays in vector
registers (two AVX2 registers) and each operation below is one vector load and
elementwise ``fmul``/``fadd``/``fsub`` with no fast-math flags, so every lane is
rounded exactly as the scalar expression written in its docstring (IEEE 754, no
fused multiply-add). Rows are read from a C-contiguous ``(n, 8)`` float64 array:
lane k of row i is ``a[i, k]``.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

LANES = 8
_VTY = ir.VectorType(ir.DoubleType(), LANES)
_I32 = ir.IntType(32)


class Vec8Type(types.Type):
    def __init__(self):
        super().__init__(name="Vec8")


vec8 = Vec8Type()


@register_model(Vec8Type)
class _Vec8Model(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _VTY)


def _row(context, builder, aryty, ary, idx, idxty):
    arr = context.make_array(aryty)(context, builder, ary)
    idx = context.cast(builder, idx, idxty, types.intp)
    zero = context.get_constant(types.intp, 0)
    ptr = cgutils.get_item_pointer(context, builder, aryty, arr, [idx, zero])
    return builder.load(builder.bitcast(ptr, _VTY.as_pointer()), align=8)


def _splat(builder, x):
    v = builder.insert_element(ir.Constant(_VTY, ir.Undefined), x, _I32(0))
    return builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, LANES), [0] * LANES))


@intrinsic
def vzero(typingctx):
    """All lanes 0.0."""

    def codegen(context, builder, signature, args):
        return ir.Constant(_VTY, [0.0] * LANES)

    return vec8(), codegen


@intrinsic
def vlane(typingctx, v, k):
    """Lane k of v (float64)."""

    def codegen(context, builder, signature, args):
        idx = context.cast(builder, args[1], signature.args[1], types.intp)
        return builder.extract_element(args[0], idx)

    return types.float64(vec8, k), codegen


def _pair_rows(context, builder, signature, args):
    # rows r and c of the (n, 8) array, and w in every lane
    aty, rty, cty = signature.args[1], signature.args[2], signature.args[3]
    vr = _row(context, builder, aty, args[1], args[2], rty)
    vc = _row(context, builder, aty, args[1], args[3], cty)
    return vr, vc, _splat(builder, args[4])


@intrinsic
def vacc_pair(typingctx, acc, rows, r, c, w):
    """Lane k: ``acc[k] + (w * rows[r, k]) * rows[c, k]``."""

    def codegen(context, builder, signature, args):
        vr, vc, ws = _pair_rows(context, builder, signature, args)
        return builder.fadd(args[0], builder.fmul(builder.fmul(ws, vr), vc))

    return vec8(vec8, rows, r, c, types.float64), codegen


@intrinsic
def vacc_sqdiff(typingctx, acc, rows, r, c, w):
    """Lane k: ``acc[k] + (w * d) * d`` with ``d = rows[r, k] - rows[c, k]``."""

    def codegen(context, builder, signature, args):
        vr, vc, ws = _pair_rows(context, builder, signature, args)
        d = builder.fsub(vr, vc)
        return builder.fadd(args[0], builder.fmul(builder.fmul(ws, d), d))

    return vec8(vec8, rows, r, c, types.float64), codegen


@intrinsic
def vacc_scaled(typingctx, acc, rows, r, w):
    """Lane k: ``acc[k] + w * rows[r, k]``."""

    def codegen(context, builder, signature, args):
        vr = _row(context, builder, signature.args[1], args[1], args[2], signature.args[2])
        return builder.fadd(args[0], builder.fmul(_splat(builder, args[3]), vr))

    return vec8(vec8, rows, r, types.float64), codegen


@intrinsic
def vload(typingctx, arr, i):
    """Lanes ``arr[i:i + 8]`` of a 1-D contiguous float64 array (``i + 8 <= size``)."""

    def codegen(context, builder, signature, args):
        aty, ity = signature.args
        a = context.make_array(aty)(context, builder, args[0])
        idx = context.cast(builder, args[1], ity, types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aty, a, [idx])
        return builder.load(builder.bitcast(ptr, _VTY.as_pointer()), align=8)

    return vec8(arr, i), codegen


@intrinsic
def vmuladd(typingctx, acc, x, y):
    """Lane k: ``acc[k] + x[k] * y[k]`` (a multiply, then an add)."""

    def codegen(context, builder, signature, args):
        return builder.fadd(args[0], builder.fmul(args[1], args[2]))

    return vec8(vec8, vec8, vec8), codegen


@intrinsic
def vhsum(typingctx, v):
    """``((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7))``."""

    def codegen(context, builder, signature, args):
        lane = [builder.extract_element(args[0], _I32(k)) for k in range(LANES)]
        while len(lane) > 1:
            lane = [builder.fadd(lane[k], lane[k + 1]) for k in range(0, len(lane), 2)]
        return lane[0]

    return types.float64(vec8), codegen
