// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The pool's three hot slots (read by every entry point), as value types over the raw word, each field at the
// position Solidity's storage layout gives the matching struct in `PoolBase` (`Market`, `Rates`, and
// `ILendingPoolTypes.RateConfig`): fields fill a word from the low bits up, in declaration order. The offsets and
// masks are file-level constants so that `PoolBase`'s struct codecs (`_pack*`/`_unpack*`, one assembly expression
// per word: the cheapest code, see there) name the same positions; test/halmos/PoolPacking.t.sol proves the codecs
// and these accessors equal to Solidity's own layout. Masks are hex literals: inline assembly takes no other constant.
//
// Getters truncate to the field's width; `with*` setters return the word with one field replaced (the value is
// masked to the field's width, every other bit kept); `pack` builds a word from every field.

/// @dev The market slot (`PoolStorage.market`, slot 0 of the pool's namespace):
///   bits   0..111 cash | 112..215 reserve | 216..247 nextLoanId | 248..255 auctionsOpen (a bool: 0 or 1).
type MarketSlot is uint256;

using MarketSlotLibrary for MarketSlot global;

uint256 constant MARKET_CASH_OFFSET = 0;
uint256 constant MARKET_CASH_MASK = 0xffffffffffffffffffffffffffff; // 112 bits
uint256 constant MARKET_RESERVE_OFFSET = 112;
uint256 constant MARKET_RESERVE_MASK = 0xffffffffffffffffffffffffff; // 104 bits
uint256 constant MARKET_NEXT_LOAN_ID_OFFSET = 216;
uint256 constant MARKET_NEXT_LOAN_ID_MASK = 0xffffffff; // 32 bits
uint256 constant MARKET_AUCTIONS_OPEN_OFFSET = 248;
uint256 constant MARKET_AUCTIONS_OPEN_MASK = 0xff; // 8 bits

/// @dev The rates slot (`PoolStorage.rates`, slot 1):
///   bits   0..111 totalScaledDebt | 112..215 borrowIndex (WAD) | 216..255 lastUpdate.
type RatesSlot is uint256;

using RatesSlotLibrary for RatesSlot global;

uint256 constant RATES_TOTAL_SCALED_DEBT_OFFSET = 0;
uint256 constant RATES_TOTAL_SCALED_DEBT_MASK = 0xffffffffffffffffffffffffffff; // 112 bits
uint256 constant RATES_BORROW_INDEX_OFFSET = 112;
uint256 constant RATES_BORROW_INDEX_MASK = 0xffffffffffffffffffffffffff; // 104 bits
uint256 constant RATES_LAST_UPDATE_OFFSET = 216;
uint256 constant RATES_LAST_UPDATE_MASK = 0xffffffffff; // 40 bits

/// @dev The rate configuration slot (`PoolStorage.rateConfig`, slot 2): written by Solidity (`_setRateConfig`),
/// read through this type:
///   bits   0..47 baseRate | 48..95 slope1 | 96..143 slope2 | 144..159 kinkBps | 160..175 reserveFactorBps
///   | 176..183 borrowPaused (a bool) | 184..247 minLoan | 248..255 unused (zero).
type RateConfigSlot is uint256;

using RateConfigSlotLibrary for RateConfigSlot global;

uint256 constant RATE_CONFIG_BASE_RATE_OFFSET = 0;
uint256 constant RATE_CONFIG_BASE_RATE_MASK = 0xffffffffffff; // 48 bits
uint256 constant RATE_CONFIG_SLOPE1_OFFSET = 48;
uint256 constant RATE_CONFIG_SLOPE1_MASK = 0xffffffffffff; // 48 bits
uint256 constant RATE_CONFIG_SLOPE2_OFFSET = 96;
uint256 constant RATE_CONFIG_SLOPE2_MASK = 0xffffffffffff; // 48 bits
uint256 constant RATE_CONFIG_KINK_BPS_OFFSET = 144;
uint256 constant RATE_CONFIG_KINK_BPS_MASK = 0xffff; // 16 bits
uint256 constant RATE_CONFIG_RESERVE_FACTOR_BPS_OFFSET = 160;
uint256 constant RATE_CONFIG_RESERVE_FACTOR_BPS_MASK = 0xffff; // 16 bits
uint256 constant RATE_CONFIG_BORROW_PAUSED_OFFSET = 176;
uint256 constant RATE_CONFIG_BORROW_PAUSED_MASK = 0xff; // 8 bits
uint256 constant RATE_CONFIG_MIN_LOAN_OFFSET = 184;
uint256 constant RATE_CONFIG_MIN_LOAN_MASK = 0xffffffffffffffff; // 64 bits

/// @notice The pool's three hot slots (market, rates, rate configuration) as value types with named offsets, masks
/// and accessors. This library: the market slot.
library MarketSlotLibrary {
    // #### GETTERS ####

    function cash(MarketSlot w) internal pure returns (uint112) {
        return uint112(MarketSlot.unwrap(w) >> MARKET_CASH_OFFSET);
    }

    function reserve(MarketSlot w) internal pure returns (uint104) {
        return uint104(MarketSlot.unwrap(w) >> MARKET_RESERVE_OFFSET);
    }

    function nextLoanId(MarketSlot w) internal pure returns (uint32) {
        return uint32(MarketSlot.unwrap(w) >> MARKET_NEXT_LOAN_ID_OFFSET);
    }

    /// @dev Any non-zero flag byte reads as true, like Solidity's own bool decoding.
    function auctionsOpen(MarketSlot w) internal pure returns (bool) {
        return (MarketSlot.unwrap(w) >> MARKET_AUCTIONS_OPEN_OFFSET) & MARKET_AUCTIONS_OPEN_MASK != 0;
    }

    // #### SETTERS ####

    function withCash(MarketSlot w, uint256 v) internal pure returns (MarketSlot) {
        return MarketSlot.wrap(
            (MarketSlot.unwrap(w) & ~(MARKET_CASH_MASK << MARKET_CASH_OFFSET))
                | ((v & MARKET_CASH_MASK) << MARKET_CASH_OFFSET)
        );
    }

    function withReserve(MarketSlot w, uint256 v) internal pure returns (MarketSlot) {
        return MarketSlot.wrap(
            (MarketSlot.unwrap(w) & ~(MARKET_RESERVE_MASK << MARKET_RESERVE_OFFSET))
                | ((v & MARKET_RESERVE_MASK) << MARKET_RESERVE_OFFSET)
        );
    }

    function withNextLoanId(MarketSlot w, uint256 v) internal pure returns (MarketSlot) {
        return MarketSlot.wrap(
            (MarketSlot.unwrap(w) & ~(MARKET_NEXT_LOAN_ID_MASK << MARKET_NEXT_LOAN_ID_OFFSET))
                | ((v & MARKET_NEXT_LOAN_ID_MASK) << MARKET_NEXT_LOAN_ID_OFFSET)
        );
    }

    function withAuctionsOpen(MarketSlot w, bool v) internal pure returns (MarketSlot) {
        return MarketSlot.wrap(
            (MarketSlot.unwrap(w) & ~(MARKET_AUCTIONS_OPEN_MASK << MARKET_AUCTIONS_OPEN_OFFSET))
                | ((uint256(v ? 1 : 0) & MARKET_AUCTIONS_OPEN_MASK) << MARKET_AUCTIONS_OPEN_OFFSET)
        );
    }

    /// @dev The word holding every field (each masked to its width).
    function pack(uint256 cash_, uint256 reserve_, uint256 nextLoanId_, bool open_) internal pure returns (MarketSlot) {
        return MarketSlot.wrap(
            ((cash_ & MARKET_CASH_MASK) << MARKET_CASH_OFFSET)
                | ((reserve_ & MARKET_RESERVE_MASK) << MARKET_RESERVE_OFFSET)
                | ((nextLoanId_ & MARKET_NEXT_LOAN_ID_MASK) << MARKET_NEXT_LOAN_ID_OFFSET)
                | (uint256(open_ ? 1 : 0) << MARKET_AUCTIONS_OPEN_OFFSET)
        );
    }
}

library RatesSlotLibrary {
    // #### GETTERS ####

    function totalScaledDebt(RatesSlot w) internal pure returns (uint112) {
        return uint112(RatesSlot.unwrap(w) >> RATES_TOTAL_SCALED_DEBT_OFFSET);
    }

    function borrowIndex(RatesSlot w) internal pure returns (uint104) {
        return uint104(RatesSlot.unwrap(w) >> RATES_BORROW_INDEX_OFFSET);
    }

    function lastUpdate(RatesSlot w) internal pure returns (uint40) {
        return uint40(RatesSlot.unwrap(w) >> RATES_LAST_UPDATE_OFFSET);
    }

    // #### SETTERS ####

    function withTotalScaledDebt(RatesSlot w, uint256 v) internal pure returns (RatesSlot) {
        return RatesSlot.wrap(
            (RatesSlot.unwrap(w) & ~(RATES_TOTAL_SCALED_DEBT_MASK << RATES_TOTAL_SCALED_DEBT_OFFSET))
                | ((v & RATES_TOTAL_SCALED_DEBT_MASK) << RATES_TOTAL_SCALED_DEBT_OFFSET)
        );
    }

    function withBorrowIndex(RatesSlot w, uint256 v) internal pure returns (RatesSlot) {
        return RatesSlot.wrap(
            (RatesSlot.unwrap(w) & ~(RATES_BORROW_INDEX_MASK << RATES_BORROW_INDEX_OFFSET))
                | ((v & RATES_BORROW_INDEX_MASK) << RATES_BORROW_INDEX_OFFSET)
        );
    }

    function withLastUpdate(RatesSlot w, uint256 v) internal pure returns (RatesSlot) {
        return RatesSlot.wrap(
            (RatesSlot.unwrap(w) & ~(RATES_LAST_UPDATE_MASK << RATES_LAST_UPDATE_OFFSET))
                | ((v & RATES_LAST_UPDATE_MASK) << RATES_LAST_UPDATE_OFFSET)
        );
    }

    /// @dev The word holding every field (each masked to its width).
    function pack(
        uint256 totalScaledDebt_,
        uint256 borrowIndex_,
        uint256 lastUpdate_
    ) internal pure returns (RatesSlot) {
        return RatesSlot.wrap(
            ((totalScaledDebt_ & RATES_TOTAL_SCALED_DEBT_MASK) << RATES_TOTAL_SCALED_DEBT_OFFSET)
                | ((borrowIndex_ & RATES_BORROW_INDEX_MASK) << RATES_BORROW_INDEX_OFFSET)
                | ((lastUpdate_ & RATES_LAST_UPDATE_MASK) << RATES_LAST_UPDATE_OFFSET)
        );
    }
}

library RateConfigSlotLibrary {
    // #### GETTERS ####

    function baseRate(RateConfigSlot w) internal pure returns (uint48) {
        return uint48(RateConfigSlot.unwrap(w) >> RATE_CONFIG_BASE_RATE_OFFSET);
    }

    function slope1(RateConfigSlot w) internal pure returns (uint48) {
        return uint48(RateConfigSlot.unwrap(w) >> RATE_CONFIG_SLOPE1_OFFSET);
    }

    function slope2(RateConfigSlot w) internal pure returns (uint48) {
        return uint48(RateConfigSlot.unwrap(w) >> RATE_CONFIG_SLOPE2_OFFSET);
    }

    function kinkBps(RateConfigSlot w) internal pure returns (uint16) {
        return uint16(RateConfigSlot.unwrap(w) >> RATE_CONFIG_KINK_BPS_OFFSET);
    }

    function reserveFactorBps(RateConfigSlot w) internal pure returns (uint16) {
        return uint16(RateConfigSlot.unwrap(w) >> RATE_CONFIG_RESERVE_FACTOR_BPS_OFFSET);
    }

    /// @dev Any non-zero flag byte reads as true, like Solidity's own bool decoding.
    function borrowPaused(RateConfigSlot w) internal pure returns (bool) {
        return (RateConfigSlot.unwrap(w) >> RATE_CONFIG_BORROW_PAUSED_OFFSET) & RATE_CONFIG_BORROW_PAUSED_MASK != 0;
    }

    function minLoan(RateConfigSlot w) internal pure returns (uint64) {
        return uint64(RateConfigSlot.unwrap(w) >> RATE_CONFIG_MIN_LOAN_OFFSET);
    }

    // #### SETTERS ####

    function withBaseRate(RateConfigSlot w, uint256 v) internal pure returns (RateConfigSlot) {
        return RateConfigSlot.wrap(
            (RateConfigSlot.unwrap(w) & ~(RATE_CONFIG_BASE_RATE_MASK << RATE_CONFIG_BASE_RATE_OFFSET))
                | ((v & RATE_CONFIG_BASE_RATE_MASK) << RATE_CONFIG_BASE_RATE_OFFSET)
        );
    }

    function withSlope1(RateConfigSlot w, uint256 v) internal pure returns (RateConfigSlot) {
        return RateConfigSlot.wrap(
            (RateConfigSlot.unwrap(w) & ~(RATE_CONFIG_SLOPE1_MASK << RATE_CONFIG_SLOPE1_OFFSET))
                | ((v & RATE_CONFIG_SLOPE1_MASK) << RATE_CONFIG_SLOPE1_OFFSET)
        );
    }

    function withSlope2(RateConfigSlot w, uint256 v) internal pure returns (RateConfigSlot) {
        return RateConfigSlot.wrap(
            (RateConfigSlot.unwrap(w) & ~(RATE_CONFIG_SLOPE2_MASK << RATE_CONFIG_SLOPE2_OFFSET))
                | ((v & RATE_CONFIG_SLOPE2_MASK) << RATE_CONFIG_SLOPE2_OFFSET)
        );
    }

    function withKinkBps(RateConfigSlot w, uint256 v) internal pure returns (RateConfigSlot) {
        return RateConfigSlot.wrap(
            (RateConfigSlot.unwrap(w) & ~(RATE_CONFIG_KINK_BPS_MASK << RATE_CONFIG_KINK_BPS_OFFSET))
                | ((v & RATE_CONFIG_KINK_BPS_MASK) << RATE_CONFIG_KINK_BPS_OFFSET)
        );
    }

    function withReserveFactorBps(RateConfigSlot w, uint256 v) internal pure returns (RateConfigSlot) {
        return RateConfigSlot.wrap(
            (RateConfigSlot.unwrap(w) & ~(RATE_CONFIG_RESERVE_FACTOR_BPS_MASK << RATE_CONFIG_RESERVE_FACTOR_BPS_OFFSET))
                | ((v & RATE_CONFIG_RESERVE_FACTOR_BPS_MASK) << RATE_CONFIG_RESERVE_FACTOR_BPS_OFFSET)
        );
    }

    function withBorrowPaused(RateConfigSlot w, bool v) internal pure returns (RateConfigSlot) {
        return RateConfigSlot.wrap(
            (RateConfigSlot.unwrap(w) & ~(RATE_CONFIG_BORROW_PAUSED_MASK << RATE_CONFIG_BORROW_PAUSED_OFFSET))
                | ((uint256(v ? 1 : 0) & RATE_CONFIG_BORROW_PAUSED_MASK) << RATE_CONFIG_BORROW_PAUSED_OFFSET)
        );
    }

    function withMinLoan(RateConfigSlot w, uint256 v) internal pure returns (RateConfigSlot) {
        return RateConfigSlot.wrap(
            (RateConfigSlot.unwrap(w) & ~(RATE_CONFIG_MIN_LOAN_MASK << RATE_CONFIG_MIN_LOAN_OFFSET))
                | ((v & RATE_CONFIG_MIN_LOAN_MASK) << RATE_CONFIG_MIN_LOAN_OFFSET)
        );
    }
}
