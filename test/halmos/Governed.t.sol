// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Governed} from "../../src/admin/Governed.sol";
import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {Test} from "forge-std/Test.sol";
import {LibClone} from "solady/utils/LibClone.sol";

/// @dev The smallest concrete Governed: an initializer and nothing else, so the proofs below see the base alone.
contract GovernedHarness is Governed {
    function initialize(address timelock_, address guardian_) external initializer {
        __Governed_init(timelock_, guardian_);
    }
}

/// @title GovernedCheck
/// @notice Halmos proofs (`check_*`) for the UUPS base. forge skips `check_` functions; `make halmos` runs them.
/// Every input is symbolic, so each check holds for all addresses, not just sampled ones.
contract GovernedCheck is Test {
    GovernedHarness internal proxy;
    address internal timelock;
    address internal guardian;

    function setUp() public {
        timelock = address(0x7100);
        guardian = address(0x6a00);
        GovernedHarness impl = new GovernedHarness();
        proxy = GovernedHarness(LibClone.deployERC1967(address(impl)));
        proxy.initialize(timelock, guardian);
    }

    /// @notice Only the timelock can replace the guardian, whoever calls and whatever it passes.
    function check_setGuardian_onlyTimelock(address caller, address newGuardian) public {
        vm.prank(caller);
        (bool ok,) = address(proxy).call(abi.encodeCall(IGoverned.setGuardian, (newGuardian)));
        if (ok) {
            assertEq(caller, timelock);
            assertTrue(newGuardian != address(0));
            assertEq(proxy.guardian(), newGuardian);
        } else {
            assertEq(proxy.guardian(), guardian);
        }
        assertEq(proxy.timelock(), timelock);
    }

    /// @notice A proxy initialises once: a second `initialize`, from anyone and with any roles, reverts.
    function check_initialize_onlyOnce(address caller, address t, address g) public {
        vm.prank(caller);
        (bool ok,) = address(proxy).call(abi.encodeCall(GovernedHarness.initialize, (t, g)));
        assertFalse(ok);
        assertEq(proxy.timelock(), timelock);
        assertEq(proxy.guardian(), guardian);
    }

    /// @notice The implementation itself can never be initialised (its constructor disables initializers), so no one
    /// can take over the logic contract.
    function check_implementation_neverInitialisable(address caller, address t, address g) public {
        GovernedHarness impl = new GovernedHarness();
        vm.prank(caller);
        (bool ok,) = address(impl).call(abi.encodeCall(GovernedHarness.initialize, (t, g)));
        assertFalse(ok);
        assertEq(impl.timelock(), address(0));
    }
}
