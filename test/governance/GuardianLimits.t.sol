// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DeploySystem} from "../../script/DeploySystem.s.sol";
import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {GovernanceFixture} from "./GovernanceFixture.sol";
import {UUPSUpgradeable} from "solady/utils/UUPSUpgradeable.sol";

/// @notice The guardian acts at once (no timelock) but can only tighten: pause new borrows, freeze a collection,
/// lower a debt ceiling, freeze a valuation, revoke a reporter or a trait root. It can never unpause, unfreeze, raise
/// a ceiling, change terms, move funds or upgrade. Run twice: guardian = the Safe (default) and a separate key.
abstract contract GuardianLimits is GovernanceFixture {
    function _guardianAct(address target, bytes memory data) internal virtual;

    function _guardian() internal view virtual returns (address);

    function test_guardian_tightensAtOnce() public {
        assertEq(pool.guardian(), _guardian());
        _guardianAct(d.pool, abi.encodeWithSignature("pauseBorrows()"));
        assertTrue(pool.rateConfig().borrowPaused);
        _guardianAct(d.pool, abi.encodeWithSignature("setCollectionFrozen(address,bool)", d.apes, true));
        (,,, bool frozen) = pool.collectionState(d.apes);
        assertTrue(frozen);
        _guardianAct(d.pool, abi.encodeWithSignature("setDebtCeiling(address,uint256)", d.items, 10 ether));
        (, uint256 ceiling,,) = pool.collectionState(d.items);
        assertEq(ceiling, 10 ether);
        _guardianAct(d.valuation, abi.encodeWithSignature("freeze(address)", d.apes));
        (, IValuation.Status status) = valuation.priceView(d.apes);
        assertEq(uint8(status), uint8(IValuation.Status.Frozen));
        _guardianAct(d.valuation, abi.encodeWithSignature("revokeReporter(address)", reporter));
        assertFalse(valuation.isReporter(reporter));
        _guardianAct(d.traitPricer, abi.encodeWithSignature("revokeRoot(address)", d.apes));
    }

    function test_guardian_cannotLoosen() public {
        address g = _guardian();
        _guardianAct(d.pool, abi.encodeWithSignature("pauseBorrows()"));
        _guardianAct(d.pool, abi.encodeWithSignature("setCollectionFrozen(address,bool)", d.apes, true));
        _guardianAct(d.valuation, abi.encodeWithSignature("freeze(address)", d.apes));
        ILendingPoolTypes.RateConfig memory unpaused = script.defaultRateConfig();
        ILendingPoolTypes.Terms memory looser = script.defaultTerms(1);
        looser.ltvBps = 6000;

        vm.startPrank(g);
        // Unpause (only through setRateConfig, timelock only), unfreeze, raise a ceiling.
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        pool.setRateConfig(unpaused);
        vm.expectRevert(ILendingPoolTypes.NotTightening.selector);
        pool.setCollectionFrozen(d.apes, false);
        vm.expectRevert(ILendingPoolTypes.NotTightening.selector);
        pool.setDebtCeiling(d.items, 1000 ether + 1);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        valuation.unfreeze(d.apes);
        // Loosen terms, re-admit a reporter, rotate the trait signer.
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        pool.setTerms(d.apes, looser, 1000 ether);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        valuation.setReporter(g, true);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        pricer.setSigner(g);
        // Move funds or NFTs: reserve, liquidation module, custody.
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        pool.withdrawReserve(1, g);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        pool.setLiquidator(g);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        pool.setCustody(g);
        // Replace itself, or upgrade anything.
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
        pool.setGuardian(g);
        address[4] memory proxies = [d.pool, d.valuation, d.traitPricer, d.auction];
        for (uint256 i; i < 4; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, g));
            UUPSUpgradeable(proxies[i]).upgradeToAndCall(d.poolImpl, "");
        }
        vm.stopPrank();

        // Still tightened: nothing above changed state.
        assertTrue(pool.rateConfig().borrowPaused);
        (,,, bool frozen) = pool.collectionState(d.apes);
        assertTrue(frozen);
        (, uint256 ceiling,,) = pool.collectionState(d.items);
        assertEq(ceiling, 1000 ether);
    }

    /// Only the timelock loosens again, through the Safe and 48 h.
    function test_onlyTheTimelockUndoesAGuardianPause() public {
        _guardianAct(d.pool, abi.encodeWithSignature("pauseBorrows()"));
        bytes memory unpause = abi.encodeWithSignature(
            "setRateConfig((uint48,uint48,uint48,uint16,uint16,bool,uint64))", script.defaultRateConfig()
        );
        _propose(d.pool, unpause, bytes32("unpause"));
        vm.warp(block.timestamp + DELAY);
        _executeProposal(d.pool, unpause, bytes32("unpause"));
        assertFalse(pool.rateConfig().borrowPaused);
    }
}

/// @notice Guardian = the Safe (the default): it tightens with two owner signatures, no delay.
contract SafeGuardianLimitsTest is GuardianLimits {
    function _guardianAct(address target, bytes memory data) internal override {
        _safeCall(target, data);
    }

    function _guardian() internal view override returns (address) {
        return d.safe;
    }
}

/// @notice Guardian = a separate hot key (GUARDIAN=...): faster to react, and still only able to tighten; the
/// deployment check proves it holds no timelock role.
contract KeyGuardianLimitsTest is GuardianLimits {
    address internal guardianKey = makeAddr("guardianKey");

    function _config() internal view override returns (DeploySystem.Config memory c) {
        c = super._config();
        c.guardian = guardianKey;
    }

    function _guardianAct(address target, bytes memory data) internal override {
        vm.prank(guardianKey);
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    function _guardian() internal view override returns (address) {
        return guardianKey;
    }

    function test_keyGuardian_holdsNoTimelockRole() public {
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), guardianKey));
        assertFalse(timelock.hasRole(timelock.EXECUTOR_ROLE(), guardianKey));
        assertFalse(timelock.hasRole(timelock.CANCELLER_ROLE(), guardianKey));
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), guardianKey));
        script.check(d, cfg);
    }
}
