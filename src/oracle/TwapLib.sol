// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IValuationAdmin} from "../interfaces/IValuationAdmin.sol";
import {ValuationStorage} from "./ValuationStorage.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title TwapLib
/// @notice Ring buffer of sale observations and its time-decay weighted average, maintained in O(1) per write.
/// @dev Layout: 16 observations packed two per slot in a `uint256[8]`; each half-word is `price << 32 | time`
/// (price in the 96 bits above the time, time as uint32 seconds). Observation `i` lives in word `i / 2`, half `i % 2`.
/// Until the buffer is full, positions `0 .. count-1` are filled; afterwards all are, and the oldest is at `index`.
///
/// The average weighs a sale `age` seconds older than the newest kept sale by `2^(-age / halfLife)`. Every weight is
/// the same multiple of `w(t) = 2^((t - base) / halfLife)` (WAD, `expWad(+-|t - base| x ln2 / halfLife)`, exponent
/// rounded down), so the average equals `sum(p_i x w(t_i)) / sum(w(t_i))` for any reference time `base`. The two sums
/// are stored; a write subtracts the evicted sale's exact term and adds the new one: integers only, no drift. `base`
/// moves to the newest sale (a rebuild over the kept sales) when the newest sale is more than 15 half-lives after it,
/// which bounds every weight by 2^15 WAD and keeps both sums within their packed widths (168 and 80 bits); also on
/// the first sale and after a half-life change.
/// Its functions are internal (compiled into Valuation); the linked libraries are `ValuationConfigLib` and `OutageLib`.
library TwapLib {
    /// @notice Number of kept observations per collection.
    uint256 internal constant CAPACITY = 16;
    /// @notice ln(2) in WAD.
    int256 internal constant LN2_WAD = 693_147_180_559_945_309;
    /// @notice Past this exponent (in WAD) a weight is below 1e-18 of the reference weight and counts as zero.
    uint256 internal constant MAX_EXPONENT_WAD = 42e18;
    /// @notice The reference time moves when the newest sale is more than this many half-lives after it.
    uint256 internal constant REBASE_HALF_LIVES = 15;

    /// @notice The least total weight of the kept sales, in units of the newest sale's weight, for a ready TWAP (WAD).
    /// 1.5: the newest sale carries at most 2/3 of the average. Sales one half-life apart settle at a depth of 2.
    uint256 internal constant MIN_DEPTH_WAD = 1.5e18;

    uint256 private constant MASK_128 = type(uint128).max;

    /// @notice Packs one observation into a 128-bit half-word.
    function pack(uint256 price, uint256 time) internal pure returns (uint256) {
        return (price << 32) | time;
    }

    /// @notice Unpacks a 128-bit half-word.
    function unpack(uint256 half) internal pure returns (uint256 price, uint256 time) {
        price = (half >> 32) & type(uint96).max;
        time = half & type(uint32).max;
    }

    /// @notice Reads observation `i`.
    function read(uint256[8] storage obs, uint256 i) internal view returns (uint256 price, uint256 time) {
        return unpack((obs[i / 2] >> ((i % 2) * 128)) & MASK_128);
    }

    /// @notice Weight `2^((t - base) / halfLife)` in WAD. The exponent is rounded down in magnitude; the caller keeps
    /// `t - base` within `REBASE_HALF_LIVES` half-lives, so the result is at most 2^15 WAD.
    function weight(uint256 t, uint256 base, uint256 halfLife) internal pure returns (uint256) {
        if (t >= base) {
            return uint256(
                FixedPointMathLib.expWad(int256(FixedPointMathLib.fullMulDiv(t - base, uint256(LN2_WAD), halfLife)))
            );
        }
        uint256 x = FixedPointMathLib.fullMulDiv(base - t, uint256(LN2_WAD), halfLife);
        if (x >= MAX_EXPONENT_WAD) return 0;
        return uint256(FixedPointMathLib.expWad(-int256(x)));
    }

    /// @notice Writes the sale (`price`, `time`) at `state.index`, updates the two sums and returns the new average
    /// (rounded down: in the pool's favour), whether the kept sales make the average ready, and the updated `state`
    /// (index, count, base). Ready: at least `p.minSales` sales, the oldest at least `p.minWindow` before `time`, and a
    /// `depth` of at least `MIN_DEPTH_WAD` (the newest sale carries at most 2/3 of the average, so one sale moves the
    /// TWAP by at most 2/3 of the clamp: 6.7 % with the default 10 % clamp), so that after a quiet period, when the older
    /// sales have decayed, one sale cannot carry the average (before: 9.5 % after 48 h without sales, status Ok).
    /// @dev Reads the written observation slot (for the evicted sale) and, when the buffer is full and the oldest
    /// sale sits in the next slot, that one. Writes the observation slot and the accumulator slot. The caller stores
    /// the returned `state`. Preconditions (checked by the caller): `time` > every kept time, `price` < 2^88.
    function append(
        ValuationStorage.Collection storage c,
        IValuationAdmin.TwapState memory state,
        uint256 price,
        uint256 time,
        IValuationAdmin.TwapParams memory p
    ) internal returns (uint256 avg, bool ready, IValuationAdmin.TwapState memory) {
        (uint256 evictedPrice, uint256 evictedTime) = _write(c.observations, state, price, time);
        (uint256 num, uint256 den) = _sums(c, state, evictedPrice, evictedTime, price, time, p.halfLife);
        // Safe casts: with every weight <= 2^15 WAD < 2^76 and prices < 2^88, 16 terms fit 168 and 80 bits.
        c.acc = IValuationAdmin.Accumulator({num: uint168(num), den: uint80(den)});
        avg = num / den;
        if (state.count >= p.minSales) {
            (, uint256 oldest) = read(c.observations, state.count < CAPACITY ? 0 : state.index);
            ready = time - oldest >= p.minWindow && depth(den, time, state.accBase, p.halfLife) >= MIN_DEPTH_WAD;
        }
        return (avg, ready, state);
    }

    /// @notice The total weight of the kept sales in units of the newest sale's weight (WAD), rounded down: the newest
    /// sale carries `1 / depth` of the average, so one sale moves the TWAP by at most `clamp / depth`. After a quiet
    /// period the older sales have decayed and the depth falls towards 1 (one sale would carry the whole average).
    /// @param den The sum of the weights relative to `base`; `time` is the newest sale (`time - base` is at most
    /// `REBASE_HALF_LIVES` half-lives, so its weight is at least 1 WAD).
    function depth(uint256 den, uint256 time, uint256 base, uint256 halfLife) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(den, 1e18, weight(time, base, halfLife));
    }

    /// @dev Writes the sale at `state.index`, advances index and count, and returns the sale it evicted (a price of 0
    /// when the buffer was not full: recorded prices are never 0).
    function _write(
        uint256[8] storage obs,
        IValuationAdmin.TwapState memory state,
        uint256 price,
        uint256 time
    ) private returns (uint256 evictedPrice, uint256 evictedTime) {
        uint256 i = state.index;
        uint256 shift = (i & 1) * 128;
        uint256 word = obs[i >> 1];
        if (state.count == CAPACITY) (evictedPrice, evictedTime) = unpack((word >> shift) & MASK_128);
        else ++state.count;
        obs[i >> 1] = (word & ~(MASK_128 << shift)) | (pack(price, time) << shift);
        state.index = uint8((i + 1) % CAPACITY);
    }

    /// @dev The new sums: rebuilt from the kept observations (first sale, stale accumulator, or the newest sale more
    /// than `REBASE_HALF_LIVES` half-lives after the reference time, which then moves to it), else updated: minus the
    /// evicted sale's term (`evictedPrice` is 0 when nothing was evicted), plus the new sale's.
    function _sums(
        ValuationStorage.Collection storage c,
        IValuationAdmin.TwapState memory state,
        uint256 evictedPrice,
        uint256 evictedTime,
        uint256 price,
        uint256 time,
        uint256 halfLife
    ) private view returns (uint256 num, uint256 den) {
        if (state.accStale || state.count == 1 || time - state.accBase > REBASE_HALF_LIVES * halfLife) {
            state.accBase = uint32(time);
            state.accStale = false;
            return sums(c.observations, state.count, time, halfLife);
        }
        IValuationAdmin.Accumulator memory acc = c.acc;
        (num, den) = (acc.num, acc.den);
        uint256 base = state.accBase;
        if (evictedPrice != 0) {
            uint256 w = weight(evictedTime, base, halfLife);
            num -= evictedPrice * w;
            den -= w;
        }
        uint256 wNew = weight(time, base, halfLife);
        num += price * wNew;
        den += wNew;
    }

    /// @notice The two sums over the `count` kept observations with reference time `base` (reads ceil(count/2) slots).
    function sums(
        uint256[8] storage obs,
        uint256 count,
        uint256 base,
        uint256 halfLife
    ) internal view returns (uint256 num, uint256 den) {
        uint256 words = (count + 1) / 2;
        for (uint256 w; w < words; ++w) {
            uint256 word = obs[w];
            for (uint256 h; h < 2; ++h) {
                if (w * 2 + h >= count) break;
                (uint256 p, uint256 t) = unpack((word >> (h * 128)) & MASK_128);
                uint256 wt = weight(t, base, halfLife);
                num += p * wt;
                den += wt;
            }
        }
    }
}
