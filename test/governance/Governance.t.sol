// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DeploySystem} from "../../script/DeploySystem.s.sol";
import {Upgrade} from "../../script/Upgrade.s.sol";
import {ISafe} from "../../script/lib/ISafe.sol";
import {LendingPool} from "../../src/LendingPool.sol";
import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolAdmin} from "../../src/interfaces/ILendingPoolAdmin.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {TraitPricer} from "../../src/pricer/TraitPricer.sol";
import {GovernanceFixture} from "./GovernanceFixture.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Initializable} from "solady/utils/Initializable.sol";
import {UUPSUpgradeable} from "solady/utils/UUPSUpgradeable.sol";

/// @notice The deployed state: what DeploySystem leaves behind is what governance requires.
contract DeployedStateTest is GovernanceFixture {
    bytes32 internal constant IMPL_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    function test_timelock_minDelayIs48Hours() public view {
        assertEq(timelock.getMinDelay(), 48 hours);
    }

    /// Replays every RoleGranted/RoleRevoked of the deployment: at the end only the Safe proposes, cancels and
    /// executes, only the timelock administers itself, and no EOA (no account without code) holds anything.
    function test_roles_noEoaKeepsAnyRole() public view {
        address[] memory proposers = _roleHolders(timelock.PROPOSER_ROLE());
        address[] memory cancellers = _roleHolders(timelock.CANCELLER_ROLE());
        address[] memory executors = _roleHolders(timelock.EXECUTOR_ROLE());
        address[] memory admins = _roleHolders(timelock.DEFAULT_ADMIN_ROLE());
        assertEq(proposers.length, 1, "proposers");
        assertEq(proposers[0], d.safe);
        assertEq(cancellers.length, 1, "cancellers");
        assertEq(cancellers[0], d.safe);
        assertEq(executors.length, 1, "executors");
        assertEq(executors[0], d.safe);
        assertEq(admins.length, 1, "admins");
        assertEq(admins[0], d.timelock);
        // The deployer had proposer/executor during the bootstrap; it lost them in the same batch.
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), address(script)));
        assertFalse(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(script)));
        assertFalse(timelock.hasRole(timelock.CANCELLER_ROLE(), address(script)));
        for (uint256 i; i < owners.length; ++i) {
            assertEq(owners[i].code.length, 0);
            assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), owners[i]));
            assertFalse(timelock.hasRole(timelock.EXECUTOR_ROLE(), owners[i]));
        }
    }

    function test_proxies_pointToTheirImplementationAndAreGovernedByTheTimelock() public view {
        address[4] memory proxies = [d.valuation, d.traitPricer, d.pool, d.auction];
        address[4] memory impls = [d.valuationImpl, d.traitPricerImpl, d.poolImpl, d.auctionImpl];
        for (uint256 i; i < 4; ++i) {
            assertEq(address(uint160(uint256(vm.load(proxies[i], IMPL_SLOT)))), impls[i]);
            assertEq(IGoverned(proxies[i]).timelock(), d.timelock);
            assertEq(IGoverned(proxies[i]).guardian(), d.safe);
        }
        assertEq(pool.liquidator(), d.auction);
        assertEq(pool.custody(), d.safe);
        assertEq(valuation.traitPricer(), d.traitPricer);
        assertTrue(valuation.isReporter(reporter));
    }

    function test_implementations_cannotBeInitialised() public {
        vm.startPrank(stranger);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        Valuation(d.valuationImpl).initialize(stranger, stranger, 18);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        TraitPricer(d.traitPricerImpl).initialize(stranger, stranger, stranger);
        ILendingPoolTypes.RateConfig memory rc = script.defaultRateConfig();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        LendingPool(payable(d.poolImpl)).initialize("x", "x", stranger, stranger, stranger, rc);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        DutchAuction(d.auctionImpl).initialize(d.pool, stranger, stranger);
        // Nor can a proxy be initialised a second time.
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        LendingPool(payable(d.pool)).initialize("x", "x", stranger, stranger, stranger, rc);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        Valuation(d.valuation).initialize(stranger, stranger, 18);
        vm.stopPrank();
    }

    function test_safe_isARealTwoOfThreeSafe() public view {
        assertEq(safe.VERSION(), "1.4.1");
        assertEq(safe.getThreshold(), 2);
        address[] memory o = safe.getOwners();
        assertEq(o.length, 3);
        for (uint256 i; i < 3; ++i) {
            assertTrue(safe.isOwner(owners[i]));
        }
        assertEq(_safeSingleton(d.safe), d.safeInfra.singleton);
        assertGt(d.safeInfra.singleton.code.length, 20_000, "the Safe singleton bytecode");
    }

    /// The script's own check is not a formality: it fails when an owner holds a role directly...
    function test_check_failsWhenAnOwnerHoldsARole() public {
        bytes32 role = timelock.PROPOSER_ROLE();
        vm.prank(d.timelock);
        timelock.grantRole(role, owners[1]);
        vm.expectRevert(
            abi.encodeWithSelector(
                DeploySystem.DeploymentCheckFailed.selector, "a Safe owner holds a timelock role directly"
            )
        );
        script.check(d, cfg);
    }

    /// ... when execution is open to anyone ...
    function test_check_failsWhenExecutionIsOpen() public {
        bytes32 role = timelock.EXECUTOR_ROLE();
        vm.prank(d.timelock);
        timelock.grantRole(role, address(0));
        vm.expectRevert(
            abi.encodeWithSelector(DeploySystem.DeploymentCheckFailed.selector, "a timelock role is open to anyone")
        );
        script.check(d, cfg);
    }

    /// ... and when a proxy points to another implementation.
    function test_check_failsOnAWrongImplementation() public {
        d.poolImpl = d.auctionImpl;
        vm.expectRevert(
            abi.encodeWithSelector(DeploySystem.DeploymentCheckFailed.selector, "proxy implementation slot")
        );
        script.check(d, cfg);
    }

    function test_deploy_refusesADelayBelow48Hours() public {
        DeploySystem.Config memory c = _config();
        c.timelockDelay = 48 hours - 1;
        vm.expectRevert(abi.encodeWithSelector(DeploySystem.InvalidConfig.selector, "TIMELOCK_DELAY below 48 h"));
        script.deploy(c, address(script));
    }

    function test_deploy_refusesAThresholdAboveTheOwners() public {
        DeploySystem.Config memory c = _config();
        c.safeThreshold = 4;
        vm.expectRevert(
            abi.encodeWithSelector(
                DeploySystem.InvalidConfig.selector, "SAFE_THRESHOLD must be between 1 and the number of owners"
            )
        );
        script.deploy(c, address(script));
    }
}

/// @notice Parameter changes and upgrades: only Safe -> timelock -> (48 h) -> execution.
contract TimelockPathTest is GovernanceFixture {
    bytes32 internal constant SALT = keccak256("test");

    function _raiseCeiling() internal view returns (bytes memory) {
        return abi.encodeCall(ILendingPoolAdmin.setDebtCeiling, (d.apes, 2000 ether));
    }

    function test_directParameterChanges_revertForEveryoneButTheTimelock() public {
        address[4] memory callers = [d.safe, owners[0], address(script), stranger];
        ILendingPoolTypes.RateConfig memory rc = script.defaultRateConfig();
        ILendingPoolTypes.Terms memory terms = script.defaultTerms(1);
        for (uint256 i; i < callers.length; ++i) {
            vm.startPrank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, callers[i]));
            pool.setRateConfig(rc);
            vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, callers[i]));
            pool.setTerms(d.apes, terms, 1);
            vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, callers[i]));
            valuation.setReporter(callers[i], true);
            vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, callers[i]));
            pricer.setSigner(callers[i]);
            vm.stopPrank();
        }
    }

    function test_onlyTheSafeCanPropose() public {
        bytes32 proposer = timelock.PROPOSER_ROLE();
        address[3] memory others = [owners[0], address(script), stranger];
        for (uint256 i; i < others.length; ++i) {
            vm.prank(others[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, others[i], proposer)
            );
            timelock.schedule(d.pool, 0, _raiseCeiling(), 0, SALT, DELAY);
        }
        bytes32 id = _propose(d.pool, _raiseCeiling(), SALT);
        assertTrue(timelock.isOperationPending(id));
        assertEq(timelock.getTimestamp(id), block.timestamp + DELAY);
    }

    function test_safe_refusesFewerSignaturesThanItsThreshold() public {
        bytes memory data = abi.encodeCall(TimelockController.schedule, (d.pool, 0, _raiseCeiling(), 0, SALT, DELAY));
        uint256[] memory one = new uint256[](1);
        one[0] = ownerKeys[1];
        bytes32 h = _safeTxHash(safe, d.timelock, 0, data);
        vm.expectRevert(abi.encodeWithSelector(NotEnoughSigners.selector, 1, 2));
        this.signExternal(h, one);
        // A forged second signature from a non-owner does not pass the Safe either.
        (, uint256 outsiderKey) = makeAddrAndKey("outsider");
        (uint8 v1, bytes32 r1, bytes32 s1) = vm.sign(ownerKeys[1], h);
        (uint8 v2, bytes32 r2, bytes32 s2) = vm.sign(outsiderKey, h);
        bytes memory sigs = bytes.concat(r1, s1, bytes1(v1), r2, s2, bytes1(v2));
        // Safe 1.4.1's signature check: "GS026", a signer that is not an owner (or out of order).
        vm.expectRevert(bytes("GS026"));
        safe.execTransaction(d.timelock, 0, data, 0, 0, 0, 0, address(0), payable(address(0)), sigs);
        assertFalse(timelock.isOperation(timelock.hashOperation(d.pool, 0, _raiseCeiling(), 0, SALT)));
    }

    function signExternal(bytes32 h, uint256[] memory keys) external view returns (bytes memory) {
        return _signSafeTx(safe, h, keys);
    }

    function test_scheduleBelowTheMinimumDelay_reverts() public {
        vm.prank(d.safe);
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockInsufficientDelay.selector, 1 hours, DELAY));
        timelock.schedule(d.pool, 0, _raiseCeiling(), 0, SALT, 1 hours);
    }

    function test_earlyExecution_reverts_thenSucceedsAfter48Hours() public {
        bytes32 id = _propose(d.pool, _raiseCeiling(), SALT);
        vm.warp(block.timestamp + DELAY - 1);
        // Through the Safe (the Safe reverts GS013 when its inner call fails) ...
        vm.expectRevert(bytes("GS013"));
        this.executeExternal(d.pool, _raiseCeiling(), SALT);
        // ... and with the timelock's own error when the Safe's address calls directly.
        vm.prank(d.safe);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, bytes32(uint256(1 << 2))
            )
        );
        timelock.execute(d.pool, 0, _raiseCeiling(), 0, SALT);
        (, uint256 ceiling,,) = pool.collectionState(d.apes);
        assertEq(ceiling, 1000 ether);

        vm.warp(block.timestamp + 1);
        _executeProposal(d.pool, _raiseCeiling(), SALT);
        (, ceiling,,) = pool.collectionState(d.apes);
        assertEq(ceiling, 2000 ether);
        assertTrue(timelock.isOperationDone(id));
    }

    function executeExternal(address target, bytes memory data, bytes32 salt) external {
        _executeProposal(target, data, salt);
    }

    function test_onlyTheSafeExecutes() public {
        _propose(d.pool, _raiseCeiling(), SALT);
        vm.warp(block.timestamp + DELAY);
        bytes32 executor = timelock.EXECUTOR_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, executor)
        );
        timelock.execute(d.pool, 0, _raiseCeiling(), 0, SALT);
    }

    function test_safeCanCancelAProposal() public {
        bytes32 id = _propose(d.pool, _raiseCeiling(), SALT);
        _safeCall(d.timelock, abi.encodeCall(TimelockController.cancel, (id)));
        assertFalse(timelock.isOperation(id));
        vm.warp(block.timestamp + DELAY);
        vm.prank(d.safe);
        // Cancelled: no longer an operation, so not in the Ready state execute requires.
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector,
                id,
                bytes32(1 << uint8(TimelockController.OperationState.Ready))
            )
        );
        timelock.execute(d.pool, 0, _raiseCeiling(), 0, SALT);
    }

    function test_upgradeDirectly_revertsForTheSafeAndTheGuardian() public {
        address impl = new Upgrade().deployImplementation("LendingPool", d.pool);
        vm.prank(d.safe);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, d.safe));
        UUPSUpgradeable(d.pool).upgradeToAndCall(impl, "");
        vm.prank(owners[0]);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, owners[0]));
        UUPSUpgradeable(d.valuation).upgradeToAndCall(impl, "");
    }

    /// The upgrade script, step by step: deploy, Safe schedules, refuses to execute early, executes after 48 h;
    /// state survives the upgrade.
    function test_upgradeScript_upgradesEveryProxyThroughSafeAndTimelock() public {
        Upgrade up = new Upgrade();
        string[4] memory names = ["LendingPool", "Valuation", "TraitPricer", "DutchAuction"];
        address[4] memory proxies = [d.pool, d.valuation, d.traitPricer, d.auction];
        Upgrade.Plan[] memory plans = new Upgrade.Plan[](4);
        for (uint256 i; i < 4; ++i) {
            plans[i] = Upgrade.Plan({
                name: names[i],
                proxy: proxies[i],
                implementation: up.deployImplementation(names[i], proxies[i]),
                call: "",
                timelock: timelock,
                safe: safe,
                salt: bytes32(i)
            });
            up.schedule(plans[i], _sigsFor(d.timelock, _scheduleData(plans[i])));
        }
        (uint32 termsBefore,,,) = pool.collectionState(d.apes);
        vm.warp(block.timestamp + DELAY - 1);
        bytes memory early = _sigsFor(d.timelock, _executeData(plans[0]));
        bytes32 id0 = up.operationId(plans[0]);
        vm.expectRevert(abi.encodeWithSelector(Upgrade.NotReady.selector, id0, block.timestamp + 1, block.timestamp));
        up.executeScheduled(plans[0], early);

        vm.warp(block.timestamp + 1);
        for (uint256 i; i < 4; ++i) {
            up.executeScheduled(plans[i], _sigsFor(d.timelock, _executeData(plans[i])));
            assertEq(address(uint160(uint256(vm.load(proxies[i], IMPL_SLOT)))), plans[i].implementation);
            assertEq(IGoverned(proxies[i]).timelock(), d.timelock, "roles survive");
        }
        (uint32 termsAfter,,,) = pool.collectionState(d.apes);
        assertEq(termsAfter, termsBefore, "pool state survives");
        assertEq(pool.liquidator(), d.auction);
        assertTrue(valuation.isReporter(reporter));
    }

    bytes32 internal constant IMPL_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    function _upgradeData(Upgrade.Plan memory p) internal pure returns (bytes memory) {
        return abi.encodeCall(UUPSUpgradeable.upgradeToAndCall, (p.implementation, p.call));
    }

    function _scheduleData(Upgrade.Plan memory p) internal pure returns (bytes memory) {
        return abi.encodeCall(TimelockController.schedule, (p.proxy, 0, _upgradeData(p), 0, p.salt, DELAY));
    }

    function _executeData(Upgrade.Plan memory p) internal pure returns (bytes memory) {
        return abi.encodeCall(TimelockController.execute, (p.proxy, 0, _upgradeData(p), 0, p.salt));
    }

    function _sigsFor(address to, bytes memory data) internal view returns (bytes memory) {
        return _signSafeTx(safe, _safeTxHash(safe, to, 0, data), _twoKeys());
    }
}

/// @notice The upgrade script's storage-layout gate (ts/deploy/layout-guard.ts over FFI, reusing the audit tooling).
contract UpgradeLayoutGateTest is GovernanceFixture {
    function test_layoutGate_acceptsTheCurrentSourcesAgainstTheCommittedSnapshots() public {
        Upgrade up = new Upgrade();
        up.checkLayout("LendingPool", "");
        up.checkLayout("Valuation", "");
        up.checkLayout("TraitPricer", "");
        up.checkLayout("DutchAuction", "");
    }

    /// A deployed layout whose pool namespace has `rates` and `market` the other way round: the current sources are
    /// not an append-only extension of it, so the upgrade is refused before anything is deployed or scheduled.
    function test_layoutGate_refusesALayoutThatIsNotAppendOnly() public {
        Upgrade up = new Upgrade();
        (bool ok, bytes memory ret) = address(up)
            .call(
                abi.encodeCall(
                    Upgrade.checkLayout, ("LendingPool", "test/governance/fixtures/LendingPool.reordered.json")
                )
            );
        assertFalse(ok);
        assertEq(bytes4(ret), Upgrade.LayoutNotAppendOnly.selector);
        (string memory name, string memory why) = abi.decode(_tail(ret), (string, string));
        assertEq(name, "LendingPool");
        assertTrue(_contains(why, "renamed or reordered rates -> market"), why);
    }

    function test_layoutGate_refusesAContractWithoutSnapshot() public {
        Upgrade up = new Upgrade();
        vm.expectRevert();
        up.checkLayout("LendingPool", "test/governance/fixtures/missing.json");
    }

    function _tail(bytes memory ret) internal pure returns (bytes memory out) {
        out = new bytes(ret.length - 4);
        for (uint256 i; i < out.length; ++i) {
            out[i] = ret[i + 4];
        }
    }

    function _contains(string memory hay, string memory needle) internal pure returns (bool) {
        bytes memory h = bytes(hay);
        bytes memory n = bytes(needle);
        if (n.length > h.length) return false;
        for (uint256 i; i + n.length <= h.length; ++i) {
            bool hit = true;
            for (uint256 j; j < n.length && hit; ++j) {
                hit = h[i + j] == n[j];
            }
            if (hit) return true;
        }
        return false;
    }
}

/// @notice A pool as it answered before the exposure counters: no `collectionExposure`, and the book's totals.
contract LegacyPoolStub {
    uint256 public totalDebt;
    uint256 public auctionDebt;

    constructor(uint256 live, uint256 frozen) {
        totalDebt = live;
        auctionDebt = frozen;
    }
}

/// @notice The upgrade script's migration gate for the loan format (review 2 of issue 15): a pool of format 1 (13-word
/// loans, no exposure counters) takes format 2 only with an empty book.
contract UpgradeLoanFormatGateTest is GovernanceFixture {
    function test_loanFormatGate_refusesAnOlderPoolWithLoansOrAuctions() public {
        Upgrade up = new Upgrade();
        address withLoans = address(new LegacyPoolStub(5 ether, 0));
        vm.expectRevert(abi.encodeWithSelector(Upgrade.UpgradeNeedsEmptyBook.selector, withLoans, 5 ether, 0));
        up.checkLoanFormat(withLoans);
        address withAuction = address(new LegacyPoolStub(0, 3 ether));
        vm.expectRevert(abi.encodeWithSelector(Upgrade.UpgradeNeedsEmptyBook.selector, withAuction, 0, 3 ether));
        up.checkLoanFormat(withAuction);
    }

    function test_loanFormatGate_acceptsAnOlderPoolWithAnEmptyBookAndACurrentPool() public {
        Upgrade up = new Upgrade();
        up.checkLoanFormat(address(new LegacyPoolStub(0, 0)));
        up.checkLoanFormat(d.pool); // format 2 already: nothing changes for its loans, whatever its book
    }
}
