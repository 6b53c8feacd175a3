// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice Helps Halmos past solady's `fullMulDiv` overflow test, which every `PoolMath` helper goes through.
/// @dev `fullMulDiv(x, y, d)` first checks `div(mul(x, y), x) == y` to choose between its plain and its 512-bit path.
/// For bounded inputs the product never overflows, but no solver we tried (yices, z3, bitwuzla, cvc5) proves that
/// 256-bit division identity false within minutes, so Halmos would explore the 512-bit path on every call and time
/// out there. Computing the same product with Solidity's checked multiplication first (`_primeMul(x, y)`, with the
/// same `x` as fullMulDiv's first argument) puts `div(mul(x, y), x) == y` into the path condition, and the branch
/// becomes a syntactic contradiction. This restricts nothing: the callers only prime products of bounded inputs that
/// cannot overflow, so the checked multiplication never reverts (a reverting prime would silently drop paths).
abstract contract HalmosPrime {
    function _primeMul(uint256 x, uint256 y) internal pure returns (uint256) {
        return x * y;
    }
}
