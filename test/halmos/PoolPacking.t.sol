// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {MarketSlot, MarketSlotLibrary, RateConfigSlot, RatesSlot, RatesSlotLibrary} from "../../src/pool/HotSlots.sol";
import {PoolBase} from "../../src/pool/PoolBase.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The one valuation call a pool makes when built: its decimals (the harness's asset, a codeless address,
/// reads as 18).
contract DecimalsOnlyValuation {
    function assetDecimals() external pure returns (uint8) {
        return 18;
    }
}

/// @notice Exposes the pool's hand-written packing next to Solidity's own storage encoding of the same structs.
contract PackingHarness is PoolBase {
    constructor(address valuation_) PoolBase(address(1), valuation_) {}

    function packMarket(Market memory m) external pure returns (uint256) {
        return MarketSlot.unwrap(_packMarket(m));
    }

    function unpackMarket(uint256 w) external pure returns (Market memory) {
        return _unpackMarket(MarketSlot.wrap(w));
    }

    function packRates(Rates memory r) external pure returns (uint256) {
        return RatesSlot.unwrap(_packRates(r));
    }

    function unpackRates(uint256 w) external pure returns (Rates memory) {
        return _unpackRates(RatesSlot.wrap(w));
    }

    /// @dev What Solidity writes for `m`, read back as the raw slot.
    function solidityMarketWord(Market memory m) external returns (uint256 w) {
        _s().market = m;
        assembly ("memory-safe") {
            w := sload(POOL_SLOT)
        }
    }

    function solidityRatesWord(Rates memory r) external returns (uint256 w) {
        _s().rates = r;
        assembly ("memory-safe") {
            w := sload(add(POOL_SLOT, 1))
        }
    }

    /// @dev What Solidity writes for `rc`, read back as the raw slot.
    function solidityRateConfigWord(RateConfig memory rc) external returns (uint256 w) {
        _s().rateConfig = rc;
        assembly ("memory-safe") {
            w := sload(add(POOL_SLOT, 2))
        }
    }

    /// @dev Solidity writes the rate configuration; the hand-written reader reads it back.
    function rateConfigRoundTrip(RateConfig memory rc) external returns (RateConfig memory) {
        _s().rateConfig = rc;
        return _loadRateConfig();
    }

    /// @dev The hand-written store, read back by Solidity.
    function storeMarketThenSolidityRead(Market memory m) external returns (Market memory) {
        _storeMarket(m);
        return _s().market;
    }

    function storeRatesThenSolidityRead(Rates memory r) external returns (Rates memory) {
        _storeRates(r);
        return _s().rates;
    }
}

/// @title PoolPackingCheck
/// @notice Halmos proofs that the pool's hand-written packing of its three hot slots (PoolBase: market, rates, rate
/// configuration) is exactly Solidity's storage layout of the same structs, in both directions, for every value of
/// every field (STYLE.md rule 30: a proof for every assembly trick), and so are the value types' accessors
/// (HotSlots.sol), whose setters each change one field only. A field shifted by one bit, a mask one bit short or a
/// swapped pair of fields fails one of these.
contract PoolPackingCheck is Test {
    PackingHarness internal h;

    function setUp() public {
        h = new PackingHarness(address(new DecimalsOnlyValuation()));
    }

    function check_market_packIsSolidityLayout(uint112 cash, uint104 reserve, uint32 nextLoanId, bool open) public {
        PoolBase.Market memory m = PoolBase.Market(cash, reserve, nextLoanId, open);
        assert(h.packMarket(m) == h.solidityMarketWord(m));
        PoolBase.Market memory back = h.storeMarketThenSolidityRead(m);
        assert(back.cash == cash && back.reserve == reserve && back.nextLoanId == nextLoanId);
        assert(back.auctionsOpen == open);
    }

    /// @dev For every word either packer can write: the flag byte is 0 or 1 (a bool), any other bit pattern is free.
    function check_market_unpackInvertsPack(uint256 w) public view {
        vm.assume(w >> 248 <= 1);
        assert(h.packMarket(h.unpackMarket(w)) == w);
    }

    function check_rates_packIsSolidityLayout(uint112 scaled, uint104 index, uint40 lastUpdate) public {
        PoolBase.Rates memory r = PoolBase.Rates(scaled, index, lastUpdate);
        assert(h.packRates(r) == h.solidityRatesWord(r));
        PoolBase.Rates memory back = h.storeRatesThenSolidityRead(r);
        assert(back.totalScaledDebt == scaled && back.borrowIndex == index && back.lastUpdate == lastUpdate);
    }

    function check_rates_unpackInvertsPack(uint256 w) public view {
        assert(h.packRates(h.unpackRates(w)) == w);
    }

    function check_rateConfig_readIsSolidityLayout(
        uint48 baseRate,
        uint48 slope1,
        uint48 slope2,
        uint16 kinkBps,
        uint16 reserveFactorBps,
        bool borrowPaused,
        uint64 minLoan
    ) public {
        ILendingPoolTypes.RateConfig memory rc = ILendingPoolTypes.RateConfig(
            baseRate, slope1, slope2, kinkBps, reserveFactorBps, borrowPaused, minLoan
        );
        ILendingPoolTypes.RateConfig memory back = h.rateConfigRoundTrip(rc);
        assert(back.baseRate == baseRate && back.slope1 == slope1 && back.slope2 == slope2);
        assert(back.kinkBps == kinkBps && back.reserveFactorBps == reserveFactorBps);
        assert(back.borrowPaused == borrowPaused && back.minLoan == minLoan);
    }

    // The value types' accessors (HotSlots.sol) against the same layout: each getter reads its field of the word
    // Solidity wrote, and `pack` writes that word.

    function check_marketSlot_accessorsAreSolidityLayout(
        uint112 cash,
        uint104 reserve,
        uint32 nextLoanId,
        bool open
    ) public {
        MarketSlot w = MarketSlot.wrap(h.solidityMarketWord(PoolBase.Market(cash, reserve, nextLoanId, open)));
        assert(w.cash() == cash && w.reserve() == reserve && w.nextLoanId() == nextLoanId && w.auctionsOpen() == open);
        assert(MarketSlot.unwrap(MarketSlotLibrary.pack(cash, reserve, nextLoanId, open)) == MarketSlot.unwrap(w));
    }

    function check_ratesSlot_accessorsAreSolidityLayout(uint112 scaled, uint104 index, uint40 lastUpdate) public {
        RatesSlot w = RatesSlot.wrap(h.solidityRatesWord(PoolBase.Rates(scaled, index, lastUpdate)));
        assert(w.totalScaledDebt() == scaled && w.borrowIndex() == index && w.lastUpdate() == lastUpdate);
        assert(RatesSlot.unwrap(RatesSlotLibrary.pack(scaled, index, lastUpdate)) == RatesSlot.unwrap(w));
    }

    function check_rateConfigSlot_accessorsAreSolidityLayout(
        uint48 baseRate,
        uint48 slope1,
        uint48 slope2,
        uint16 kinkBps,
        uint16 reserveFactorBps,
        bool borrowPaused,
        uint64 minLoan
    ) public {
        RateConfigSlot w = RateConfigSlot.wrap(
            h.solidityRateConfigWord(
                ILendingPoolTypes.RateConfig(baseRate, slope1, slope2, kinkBps, reserveFactorBps, borrowPaused, minLoan)
            )
        );
        assert(w.baseRate() == baseRate && w.slope1() == slope1 && w.slope2() == slope2);
        assert(w.kinkBps() == kinkBps && w.reserveFactorBps() == reserveFactorBps);
        assert(w.borrowPaused() == borrowPaused && w.minLoan() == minLoan);
    }

    // Setters: on any word, `with<Field>(v)` makes the field read `v` truncated to its width and leaves every other
    // field as it was. A field's mask one bit too wide clobbers its neighbour; one too narrow loses the value's top
    // bit; an offset off by one does either.

    function check_marketSlot_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        MarketSlot w = MarketSlot.wrap(raw);
        field %= 4;
        MarketSlot x;
        if (field == 0) x = w.withCash(v);
        else if (field == 1) x = w.withReserve(v);
        else if (field == 2) x = w.withNextLoanId(v);
        else x = w.withAuctionsOpen(v & 1 == 1);
        uint256[4] memory before = _market(w);
        uint256[4] memory afterSet = _market(x);
        assert(field == 0 ? afterSet[0] == v & type(uint112).max : afterSet[0] == before[0]);
        assert(field == 1 ? afterSet[1] == v & type(uint104).max : afterSet[1] == before[1]);
        assert(field == 2 ? afterSet[2] == v & type(uint32).max : afterSet[2] == before[2]);
        assert(field == 3 ? afterSet[3] == v & 1 : afterSet[3] == before[3]);
    }

    function check_ratesSlot_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        RatesSlot w = RatesSlot.wrap(raw);
        field %= 3;
        RatesSlot x;
        if (field == 0) x = w.withTotalScaledDebt(v);
        else if (field == 1) x = w.withBorrowIndex(v);
        else x = w.withLastUpdate(v);
        uint256[3] memory before = _rates(w);
        uint256[3] memory afterSet = _rates(x);
        assert(field == 0 ? afterSet[0] == v & type(uint112).max : afterSet[0] == before[0]);
        assert(field == 1 ? afterSet[1] == v & type(uint104).max : afterSet[1] == before[1]);
        assert(field == 2 ? afterSet[2] == v & type(uint40).max : afterSet[2] == before[2]);
    }

    function check_rateConfigSlot_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        RateConfigSlot w = RateConfigSlot.wrap(raw);
        field %= 7;
        RateConfigSlot x;
        if (field == 0) x = w.withBaseRate(v);
        else if (field == 1) x = w.withSlope1(v);
        else if (field == 2) x = w.withSlope2(v);
        else if (field == 3) x = w.withKinkBps(v);
        else if (field == 4) x = w.withReserveFactorBps(v);
        else if (field == 5) x = w.withBorrowPaused(v & 1 == 1);
        else x = w.withMinLoan(v);
        uint256[7] memory before = _rateConfig(w);
        uint256[7] memory afterSet = _rateConfig(x);
        assert(field == 0 ? afterSet[0] == v & type(uint48).max : afterSet[0] == before[0]);
        assert(field == 1 ? afterSet[1] == v & type(uint48).max : afterSet[1] == before[1]);
        assert(field == 2 ? afterSet[2] == v & type(uint48).max : afterSet[2] == before[2]);
        assert(field == 3 ? afterSet[3] == v & type(uint16).max : afterSet[3] == before[3]);
        assert(field == 4 ? afterSet[4] == v & type(uint16).max : afterSet[4] == before[4]);
        assert(field == 5 ? afterSet[5] == v & 1 : afterSet[5] == before[5]);
        assert(field == 6 ? afterSet[6] == v & type(uint64).max : afterSet[6] == before[6]);
    }

    function _market(MarketSlot w) internal pure returns (uint256[4] memory) {
        return [uint256(w.cash()), w.reserve(), w.nextLoanId(), w.auctionsOpen() ? 1 : 0];
    }

    function _rates(RatesSlot w) internal pure returns (uint256[3] memory) {
        return [uint256(w.totalScaledDebt()), w.borrowIndex(), w.lastUpdate()];
    }

    function _rateConfig(RateConfigSlot w) internal pure returns (uint256[7] memory) {
        return [
            uint256(w.baseRate()),
            w.slope1(),
            w.slope2(),
            w.kinkBps(),
            w.reserveFactorBps(),
            w.borrowPaused() ? 1 : 0,
            w.minLoan()
        ];
    }

    // The same properties under forge's fuzzer, so `make test` exercises them too.

    function testFuzz_market_packIsSolidityLayout(uint112 cash, uint104 reserve, uint32 id, bool open) public {
        check_market_packIsSolidityLayout(cash, reserve, id, open);
    }

    /// @dev Builds the word instead of assuming it: the low 248 bits as fuzzed, the flag byte 0 or 1 (the check's
    /// precondition). Assuming `w >> 248 <= 1` rejected all but 2 in 256 fuzzed words.
    function testFuzz_market_unpackInvertsPack(uint256 w) public view {
        check_market_unpackInvertsPack((w & type(uint248).max) | ((w >> 248) & 1) << 248);
    }

    function testFuzz_rates_packIsSolidityLayout(uint112 scaled, uint104 index, uint40 lastUpdate) public {
        check_rates_packIsSolidityLayout(scaled, index, lastUpdate);
    }

    function testFuzz_rates_unpackInvertsPack(uint256 w) public view {
        check_rates_unpackInvertsPack(w);
    }

    function testFuzz_rateConfig_readIsSolidityLayout(
        uint48 baseRate,
        uint48 slope1,
        uint48 slope2,
        uint16 kinkBps,
        uint16 reserveFactorBps,
        bool borrowPaused,
        uint64 minLoan
    ) public {
        check_rateConfig_readIsSolidityLayout(
            baseRate, slope1, slope2, kinkBps, reserveFactorBps, borrowPaused, minLoan
        );
    }

    function testFuzz_marketSlot_accessorsAreSolidityLayout(
        uint112 cash,
        uint104 reserve,
        uint32 id,
        bool open
    ) public {
        check_marketSlot_accessorsAreSolidityLayout(cash, reserve, id, open);
    }

    function testFuzz_ratesSlot_accessorsAreSolidityLayout(uint112 scaled, uint104 index, uint40 lastUpdate) public {
        check_ratesSlot_accessorsAreSolidityLayout(scaled, index, lastUpdate);
    }

    function testFuzz_rateConfigSlot_accessorsAreSolidityLayout(
        uint48 baseRate,
        uint48 slope1,
        uint48 slope2,
        uint16 kinkBps,
        uint16 reserveFactorBps,
        bool borrowPaused,
        uint64 minLoan
    ) public {
        check_rateConfigSlot_accessorsAreSolidityLayout(
            baseRate, slope1, slope2, kinkBps, reserveFactorBps, borrowPaused, minLoan
        );
    }

    function testFuzz_marketSlot_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        check_marketSlot_setOneField(raw, field, v);
    }

    function testFuzz_ratesSlot_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        check_ratesSlot_setOneField(raw, field, v);
    }

    function testFuzz_rateConfigSlot_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        check_rateConfigSlot_setOneField(raw, field, v);
    }

    /// @dev Each field set to its width's maximum on an empty word is exactly the bits the layout documents
    /// (HotSlots.sol), written here from the documentation, not from the library's constants.
    function test_hotSlots_widthMaximaAtDocumentedBits() public pure {
        MarketSlot m = MarketSlot.wrap(0);
        assertEq(MarketSlot.unwrap(m.withCash(type(uint256).max)), uint256(type(uint112).max));
        assertEq(MarketSlot.unwrap(m.withReserve(type(uint256).max)), uint256(type(uint104).max) << 112);
        assertEq(MarketSlot.unwrap(m.withNextLoanId(type(uint256).max)), uint256(type(uint32).max) << 216);
        assertEq(MarketSlot.unwrap(m.withAuctionsOpen(true)), uint256(1) << 248);
        RatesSlot r = RatesSlot.wrap(0);
        assertEq(RatesSlot.unwrap(r.withTotalScaledDebt(type(uint256).max)), uint256(type(uint112).max));
        assertEq(RatesSlot.unwrap(r.withBorrowIndex(type(uint256).max)), uint256(type(uint104).max) << 112);
        assertEq(RatesSlot.unwrap(r.withLastUpdate(type(uint256).max)), uint256(type(uint40).max) << 216);
        RateConfigSlot c = RateConfigSlot.wrap(0);
        assertEq(RateConfigSlot.unwrap(c.withBaseRate(type(uint256).max)), uint256(type(uint48).max));
        assertEq(RateConfigSlot.unwrap(c.withSlope1(type(uint256).max)), uint256(type(uint48).max) << 48);
        assertEq(RateConfigSlot.unwrap(c.withSlope2(type(uint256).max)), uint256(type(uint48).max) << 96);
        assertEq(RateConfigSlot.unwrap(c.withKinkBps(type(uint256).max)), uint256(type(uint16).max) << 144);
        assertEq(RateConfigSlot.unwrap(c.withReserveFactorBps(type(uint256).max)), uint256(type(uint16).max) << 160);
        assertEq(RateConfigSlot.unwrap(c.withBorrowPaused(true)), uint256(1) << 176);
        assertEq(RateConfigSlot.unwrap(c.withMinLoan(type(uint256).max)), uint256(type(uint64).max) << 184);
    }
}
