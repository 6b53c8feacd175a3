// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title TwapLib
/// @notice Ring buffer of sale observations and its time-decay weighted average.
/// @dev Layout: 16 observations packed two per slot in a `uint256[8]`; each half-word is `price << 32 | time`
/// (price in the low 96 bits above the time, time as uint32 seconds). Observation `i` lives in word `i / 2`,
/// half `i % 2`. Until the buffer is full, positions `0 .. count-1` are filled; afterwards all are. Timestamps strictly
/// increase, so the oldest kept observation is the minimum time.
///
/// Weight of a sale `age` seconds older than the newest kept sale: `2^(-age / halfLife)` (WAD), computed with
/// `expWad(-age x ln2 / halfLife)`. The newest sale always weighs 1e18, so the denominator is never zero.
library TwapLib {
    /// @notice Number of kept observations per collection.
    uint256 internal constant CAPACITY = 16;
    /// @notice ln(2) in WAD.
    int256 internal constant LN2_WAD = 693_147_180_559_945_309;
    /// @notice Beyond this exponent (in WAD) the weight rounds to zero anyway: e^-42 < 1e-18.
    uint256 internal constant MAX_EXPONENT_WAD = 42e18;

    /// @notice Packs one observation into a 128-bit half-word.
    function pack(uint256 price, uint256 time) internal pure returns (uint256) {
        return (price << 32) | time;
    }

    /// @notice Unpacks a 128-bit half-word.
    function unpack(uint256 half) internal pure returns (uint256 price, uint256 time) {
        price = (half >> 32) & type(uint96).max;
        time = half & type(uint32).max;
    }

    /// @notice Writes (price, time) at ring position `index` (one SSTORE).
    function write(uint256[8] storage obs, uint256 index, uint256 price, uint256 time) internal {
        uint256 word = obs[index / 2];
        uint256 shift = (index % 2) * 128;
        word = (word & ~(uint256(type(uint128).max) << shift)) | (pack(price, time) << shift);
        obs[index / 2] = word;
    }

    /// @notice Reads observation `i`.
    function read(uint256[8] storage obs, uint256 i) internal view returns (uint256 price, uint256 time) {
        return unpack((obs[i / 2] >> ((i % 2) * 128)) & type(uint128).max);
    }

    /// @notice Weight of a sale `age` seconds older than the newest, in WAD, rounded down (2^(-age/halfLife)).
    function decayWeightDown(uint256 age, uint256 halfLife) internal pure returns (uint256) {
        if (age == 0) return 1e18;
        uint256 x = FixedPointMathLib.fullMulDiv(age, uint256(LN2_WAD), halfLife);
        if (x >= MAX_EXPONENT_WAD) return 0;
        return uint256(FixedPointMathLib.expWad(-int256(x)));
    }

    /// @notice Weighted average of the `count` kept observations, rounded down, and the oldest kept time.
    /// @dev Reads ceil(count / 2) storage slots: at most 8. `public` (a linked library call, write path only) to keep
    /// Valuation under the 24,576-byte code size limit.
    function weightedAverageDown(
        uint256[8] storage obs,
        uint256 count,
        uint256 newest,
        uint256 halfLife
    ) public view returns (uint256 avg, uint256 oldest) {
        uint256 num;
        uint256 den;
        oldest = type(uint256).max;
        uint256 words = (count + 1) / 2;
        for (uint256 w; w < words; ++w) {
            uint256 word = obs[w];
            for (uint256 h; h < 2; ++h) {
                if (w * 2 + h >= count) break;
                (uint256 p, uint256 t) = unpack((word >> (h * 128)) & type(uint128).max);
                uint256 weight = decayWeightDown(newest - t, halfLife);
                num += p * weight;
                den += weight;
                if (t < oldest) oldest = t;
            }
        }
        // Rounded down: in the pool's favour.
        avg = num / den;
    }
}
